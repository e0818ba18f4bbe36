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

// podLookup says whether the node runs a pod.
type podLookup func(namespace, name string) bool

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
	l, err := nodeserver.Listen(net.JoinHostPort("", strconv.Itoa(int(opts.KubeletPort))), certFile, keyFile)
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
		Routes: e.routes, LocalPodName: localPodName(opts.NodeName, e.pods), Logger: log,
	})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	log.Info("node endpoint listening", "address", e.listener.Addr().String())
	return serveHTTP(ctx, srv, e.listener, log)
}

// localPodName maps a static pod's mirror name, <name>-<node> (package
// mirror), back to the node's own <name>, as the kubelet finds a static
// pod by its mirror's name. A name the node runs as is stays.
func localPodName(node string, runs podLookup) func(namespace, name string) string {
	return func(namespace, name string) string {
		if runs(namespace, name) {
			return name
		}
		if local, ok := strings.CutSuffix(name, "-"+node); ok && runs(namespace, local) {
			return local
		}
		return name
	}
}
