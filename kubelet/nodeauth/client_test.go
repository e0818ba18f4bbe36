package nodeauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes a kubeconfig whose user has a client certificate
// for cn (none when cn is empty, a token instead).
func writeKubeconfig(t *testing.T, cn string) string {
	t.Helper()
	return writeKubeconfigExpiring(t, cn, time.Hour)
}

// writeKubeconfigExpiring is writeKubeconfig of a certificate valid for
// validFor from now; negative: expired that long ago.
func writeKubeconfigExpiring(t *testing.T, cn string, validFor time.Duration) string {
	t.Helper()
	user := &clientcmdapi.AuthInfo{Token: "abc"}
	if cn != "" {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{"system:nodes"}},
			NotBefore: time.Now().Add(min(validFor, 0) - time.Minute), NotAfter: time.Now().Add(validFor), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		user = &clientcmdapi.AuthInfo{
			ClientCertificateData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			ClientKeyData:         pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		}
	}
	return writeKubeconfigFile(t, "kubeconfig", &clientcmdapi.Cluster{Server: "https://127.0.0.1:16443", InsecureSkipTLSVerify: true}, user)
}

func TestLoadReadsServerAndNodeUser(t *testing.T) {
	c, err := Load(writeKubeconfig(t, "system:node:worker-1"), "minikubelet/test")
	if err != nil {
		t.Fatal(err)
	}
	if c.Server != "https://127.0.0.1:16443" || c.User != "system:node:worker-1" {
		t.Errorf("server %q user %q", c.Server, c.User)
	}
	if err := c.CheckNodeUser("worker-1"); err != nil {
		t.Errorf("own certificate refused: %v", err)
	}
	err = c.CheckNodeUser("worker-2")
	if err == nil || !strings.Contains(err.Error(), `client certificate is for system:node:worker-1, but this node is "worker-2"`) {
		t.Errorf("another node's certificate: error %v", err)
	}
}

func TestLoadAcceptsNonNodeCredentials(t *testing.T) {
	for _, cn := range []string{"", "kubernetes-admin"} {
		c, err := Load(writeKubeconfig(t, cn), "minikubelet/test")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CheckNodeUser("worker-1"); err != nil {
			t.Errorf("%q: refused: %v", cn, err)
		}
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Load(missing, "x"); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v does not name %s", err, missing)
	}
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("{{{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(garbage, "x"); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Errorf("error %v does not name %s", err, garbage)
	}
}

// The client is limited as the kubelet's (50 requests a second, bursts of
// 100), not by client-go's defaults (5, bursts of 10), which held 20 new
// pods' status patches, token requests and events back for seconds.
func TestClientIsNotThrottledBelowTheKubeletsRate(t *testing.T) {
	var served atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"Node","apiVersion":"v1","metadata":{"name":"w"}}`))
	}))
	defer server.Close()
	path := writeKubeconfigFile(t, "kubeconfig", &clientcmdapi.Cluster{Server: server.URL}, &clientcmdapi.AuthInfo{Token: "abc"})
	c, err := Load(path, "minikubelet/test")
	if err != nil {
		t.Fatal(err)
	}
	// With client-go's defaults, 10 + 5 per second: at most 25 in 3 s.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for range 60 {
		if _, err := c.Nodes().Get(ctx, "w"); err != nil {
			t.Fatalf("after %d requests in 3 s: %v", served.Load(), err)
		}
	}
}

func loadKubeconfig(t *testing.T, path string) *clientcmdapi.Config {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
