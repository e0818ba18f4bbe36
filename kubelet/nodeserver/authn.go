package nodeserver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// errNoClientCert is a request without a client certificate.
var errNoClientCert = errors.New("no client certificate: this endpoint takes only client certificates signed by the cluster's client CA (kube-apiserver's --kubelet-client-certificate)")

// authenticate verifies the connection's client certificate against roots
// at now, for client authentication, and returns whom it names: the
// common name and the organizations, as kube-apiserver reads one.
func authenticate(state *tls.ConnectionState, roots *x509.CertPool, now time.Time) (User, error) {
	if state == nil || len(state.PeerCertificates) == 0 {
		return User{}, errNoClientCert
	}
	leaf := state.PeerCertificates[0]
	intermediates := x509.NewCertPool()
	for _, c := range state.PeerCertificates[1:] {
		intermediates.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: intermediates, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return User{}, fmt.Errorf("client certificate CN=%q (issuer %q) refused: %w", leaf.Subject.CommonName, leaf.Issuer.CommonName, err)
	}
	if leaf.Subject.CommonName == "" {
		return User{}, errors.New("client certificate refused: it has no common name to take as the user")
	}
	return User{Name: leaf.Subject.CommonName, Groups: leaf.Subject.Organization}, nil
}
