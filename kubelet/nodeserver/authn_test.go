package nodeserver

import (
	"crypto/tls"
	"crypto/x509"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAuthenticate(t *testing.T) {
	ca, other := newTestCA(t, "cluster-ca"), newTestCA(t, "other-ca")
	later := time.Now().Add(time.Hour)
	state := func(c tls.Certificate) *tls.ConnectionState {
		return &tls.ConnectionState{PeerCertificates: []*x509.Certificate{c.Leaf}}
	}
	user, err := authenticate(state(ca.issue(t, "kube-apiserver-kubelet-client", []string{"system:masters"}, x509.ExtKeyUsageClientAuth, later)), ca.pool(), time.Now())
	if err != nil || !reflect.DeepEqual(user, User{Name: "kube-apiserver-kubelet-client", Groups: []string{"system:masters"}}) {
		t.Errorf("cluster CA's client cert: %+v, %v", user, err)
	}
	for name, tt := range map[string]struct {
		state *tls.ConnectionState
		want  string
	}{
		"no TLS":         {nil, "no client certificate"},
		"no certificate": {&tls.ConnectionState{}, "no client certificate"},
		"another CA":     {state(other.issue(t, "mallory", nil, x509.ExtKeyUsageClientAuth, later)), `CN="mallory" (issuer "other-ca") refused`},
		"expired":        {state(ca.issue(t, "old", nil, x509.ExtKeyUsageClientAuth, time.Now().Add(-time.Minute))), `CN="old"`},
		"serving only":   {state(ca.issue(t, "server", nil, x509.ExtKeyUsageServerAuth, later)), `CN="server"`},
		"no name":        {state(ca.issue(t, "", nil, x509.ExtKeyUsageClientAuth, later)), "no common name"},
	} {
		if _, err := authenticate(tt.state, ca.pool(), time.Now()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want an error with %q", name, err, tt.want)
		}
	}
}
