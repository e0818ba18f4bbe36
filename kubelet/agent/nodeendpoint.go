package agent

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	"github.com/minikubelet/minikubelet/kubelet/nodeauth"
	"github.com/minikubelet/minikubelet/kubelet/nodeserver"
)

// The node endpoint's self-signed serving certificate, as the kubelet
// keeps pki/kubelet.crt when it has no other. kube-apiserver verifies it
// only with --kubelet-certificate-authority.
const (
	kubeletCertFile = "pki/kubelet.crt"
	kubeletKeyFile  = "pki/kubelet.key"
)

// maxNodeConnections bounds the node endpoint's open connections:
// kube-apiserver opens one per logs, exec, attach or port-forward.
const maxNodeConnections = 1024

// nodeEndpoint is the HTTPS endpoint the cluster's API server reaches on
// --kubelet-port. It is apart from --listen: that one takes the node's
// own bearer token and serves the whole node API, usually on loopback;
// this one takes only the cluster's client certificates, asks the
// cluster who may do what, and serves only the kubelet's paths.
type nodeEndpoint struct {
	listener net.Listener
	cas      *x509.CertPool
	routes   map[string]http.Handler
	pods     podLookup
}

// podLookup returns the sources (kubelet.SourceFile, SourceAPI) of the
// pods the node has under a namespace and name.
type podLookup func(namespace, name string) []string

// openNodeEndpoint loads the client CAs and opens the listener before
// the agent starts, so a busy port or an unreadable CA is one error at
// start; it serves once the cluster's client exists (serve).
func openNodeEndpoint(opts Options, ip net.IP, routes map[string]http.Handler, pods podLookup) (*nodeEndpoint, error) {
	cas, err := clientCAs(opts)
	if err != nil {
		return nil, err
	}
	certFile, keyFile := filepath.Join(opts.RootDir, kubeletCertFile), filepath.Join(opts.RootDir, kubeletKeyFile)
	if err := apiserver.EnsureServingCert(certFile, keyFile, opts.NodeName, []net.IP{ip}); err != nil {
		return nil, fmt.Errorf("node endpoint: %w", err)
	}
	l, err := nodeserver.Listen(net.JoinHostPort("", strconv.Itoa(int(opts.KubeletPort))), certFile, keyFile, maxNodeConnections)
	if err != nil {
		return nil, err
	}
	return &nodeEndpoint{listener: l, cas: cas, routes: routes, pods: pods}, nil
}

// clientCAs are --client-ca-file's, or the kubeconfig's CA.
func clientCAs(opts Options) (*x509.CertPool, error) {
	if opts.ClientCAFile != "" {
		return nodeserver.ReadCAFile(opts.ClientCAFile)
	}
	pem, err := nodeauth.KubeconfigCA(opts.Kubeconfig)
	if err != nil {
		return nil, err
	}
	if len(pem) == 0 {
		return nil, fmt.Errorf("the kubeconfig %s names no CA for the node endpoint to verify kube-apiserver's client certificate with: set --client-ca-file", opts.Kubeconfig)
	}
	return nodeserver.LoadCAs(pem, "the CA of the kubeconfig "+opts.Kubeconfig)
}

// serve serves the endpoint until ctx ends, authorizing by the cluster
// client's SubjectAccessReviews.
func (e *nodeEndpoint) serve(ctx context.Context, opts Options, client *nodeauth.Client, log *slog.Logger) error {
	handler, err := nodeserver.New(nodeserver.Config{
		NodeName: opts.NodeName, ClientCAs: e.cas, Reviews: client.SubjectAccessReviews(),
		Routes: e.routes, ResolvePod: resolvePod(opts.NodeName, e.pods), Logger: log,
	})
	if err != nil {
		return err
	}
	// The endpoint faces the network: an idle keep-alive connection is
	// closed after 90 s (the kubelet's); the listener caps how many are
	// open. Streams (exec, port-forward) are not idle.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
		IdleTimeout: 90 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	log.Info("node endpoint listening", "address", e.listener.Addr().String())
	return serveHTTP(ctx, srv, e.listener, log)
}

// resolvePod finds the pod the API server asks for among the node's, by
// source: a name is a pod from the API server of that very name, and
// <name>-<node> is also the static pod <name> (its mirror's name, package
// mirror). A static pod is never reached by its own name, nor is a name
// two sources share: a user who may create pods could otherwise name one
// after a static pod, have the node refuse or finish it, and reach the
// static pod through the API server's checks of their own pod.
func resolvePod(node string, pods podLookup) func(namespace, name string) (string, error) {
	return func(namespace, name string) (string, error) {
		api, static := countSources(pods(namespace, name))
		switch {
		case api > 0 && static == 0:
			return name, nil
		case api > 0:
			return "", fmt.Errorf("pod %s/%s: a static pod and a pod from the API server share this name on node %s; neither is served here", namespace, name, node)
		}
		local, mirror := strings.CutSuffix(name, "-"+node)
		if mirror {
			api, static := countSources(pods(namespace, local))
			if static > 0 && api == 0 {
				return local, nil
			}
		}
		return "", fmt.Errorf("pod %s/%s is not running on node %s", namespace, name, node)
	}
}

func countSources(sources []string) (api, static int) {
	for _, source := range sources {
		switch source {
		case kubelet.SourceAPI:
			api++
		case kubelet.SourceFile:
			static++
		}
	}
	return api, static
}
