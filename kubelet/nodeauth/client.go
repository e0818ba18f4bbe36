// Package nodeauth turns the cluster kubeconfig given to `minikubelet run
// --kubeconfig` into a client of that cluster's API server, and says whom
// its credentials name, so a certificate for another node is refused at
// start rather than by the Node authorizer at every call.
//
// With a bootstrap token instead of credentials, bootstrap.go exchanges
// it for a node certificate through a CSR, and rotation.go renews that
// certificate before it expires, or requests it anew once it has.
package nodeauth

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

// requestTimeout is the client's backstop; callers set shorter deadlines.
const requestTimeout = 30 * time.Second

// APIQPS and APIBurst bound the node's requests to the API server, as
// the kubelet's defaults do.
const (
	APIQPS   = 50
	APIBurst = 100
)

// NodeUserPrefix is how the Node authorizer names a node's user.
const NodeUserPrefix = "system:node:"

// Client is a client of the cluster and what its credentials are.
type Client struct {
	*kubeapi.Client
	// Server is the API server's URL.
	Server string
	// User is the client certificate's common name (e.g.
	// "system:node:worker-1"); empty when the kubeconfig uses a token or
	// another way to authenticate.
	User string
	// given is the client certificate, nil without one; WatchExpiry
	// reads it again from givenFile, unless it was in the kubeconfig.
	given       *x509.Certificate
	givenFile   string
	givenSource string
}

// Load reads the kubeconfig at path (its current context) and makes a
// client of it that sends userAgent.
func Load(path, userAgent string) (*Client, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("loading the cluster's kubeconfig %s: %w", path, err)
	}
	cfg.UserAgent, cfg.Timeout = userAgent, requestTimeout
	// The kubelet's kubeAPIQPS and kubeAPIBurst: client-go's own defaults
	// (5 and 10) let 20 new pods' token requests, status patches and
	// events queue for seconds behind the limiter.
	cfg.QPS, cfg.Burst = APIQPS, APIBurst
	cert, err := clientCertificate(cfg)
	if err != nil {
		return nil, fmt.Errorf("reading the client certificate of the kubeconfig %s: %w", path, err)
	}
	c := &Client{Server: cfg.Host, given: cert, givenSource: certificateSource(path, cfg)}
	if len(cfg.CertData) == 0 {
		c.givenFile = cfg.CertFile
	}
	if cert != nil {
		c.User = cert.Subject.CommonName
		// The API server would refuse every call, and nothing here can
		// renew it: said once at start rather than as 401s in a loop.
		if err := checkNotExpired(cert, c.givenSource, time.Now()); err != nil {
			return nil, err
		}
	}
	if c.Client, err = kubeapi.New(cfg); err != nil {
		return nil, fmt.Errorf("making a client of the kubeconfig %s: %w", path, err)
	}
	return c, nil
}

// CheckNodeUser refuses credentials that name another node: the Node
// authorizer and NodeRestriction would refuse every change to this Node.
// Credentials that are not a node's (a token, an admin certificate) pass:
// RBAC decides.
func (c *Client) CheckNodeUser(nodeName string) error {
	other, ok := strings.CutPrefix(c.User, NodeUserPrefix)
	if ok && other != nodeName {
		return fmt.Errorf("its client certificate is for %s, but this node is %q: the API server lets a node change only its own Node; set --node-name %s or use that node's credentials", c.User, nodeName, other)
	}
	return nil
}

// clientCertificate is the config's client certificate, or nil when it
// has none.
func clientCertificate(cfg *rest.Config) (*x509.Certificate, error) {
	data := cfg.CertData
	if len(data) == 0 && cfg.CertFile != "" {
		var err error
		if data, err = os.ReadFile(cfg.CertFile); err != nil {
			return nil, err
		}
	}
	if len(data) == 0 {
		return nil, nil
	}
	return parseCertificatePEM(data)
}

// parseCertificatePEM parses the first PEM block, a certificate.
func parseCertificatePEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate in it")
	}
	return x509.ParseCertificate(block.Bytes)
}

// certificateSource names where the kubeconfig at path keeps its client
// certificate, for an error.
func certificateSource(path string, cfg *rest.Config) string {
	if len(cfg.CertData) == 0 && cfg.CertFile != "" {
		return cfg.CertFile
	}
	return path + " (client-certificate-data)"
}

// checkNotExpired refuses given credentials whose certificate has expired:
// without a bootstrap kubeconfig the agent has nothing to ask for another
// with, as the kubelet has none.
func checkNotExpired(cert *x509.Certificate, source string, now time.Time) error {
	if now.Before(cert.NotAfter) {
		return nil
	}
	return fmt.Errorf("the node's client certificate %s (%s) expired at %s, and the API server refuses an expired certificate: "+
		"give the node a new certificate, or join with a bootstrap kubeconfig (--kubeconfig with a bootstrap token) so the agent requests its own and renews it",
		source, cert.Subject.CommonName, cert.NotAfter.Format(time.RFC3339))
}

// KubeconfigCA is the PEM of the CA the kubeconfig at path trusts the API
// server by; empty when it names none. In a kubeadm-style cluster the
// same CA signs kube-apiserver's client certificate towards the nodes.
func KubeconfigCA(path string) ([]byte, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("loading the cluster's kubeconfig %s: %w", path, err)
	}
	if len(cfg.CAData) > 0 || cfg.CAFile == "" {
		return cfg.CAData, nil
	}
	data, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading the CA of the kubeconfig %s: %w", path, err)
	}
	return data, nil
}
