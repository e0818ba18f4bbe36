package nodeauth

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi/kubeapitest"
)

func TestRotationDeadline(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(100 * time.Hour)
	for _, tc := range []struct {
		fraction float64
		want     time.Duration
	}{{0.75, 75 * time.Hour}, {0.875, 87*time.Hour + 30*time.Minute}, {0.5, 50 * time.Hour}} {
		if got := RotationDeadline(start, end, tc.fraction).Sub(start); got != tc.want {
			t.Errorf("fraction %.1f: deadline after %s, want %s", tc.fraction, got, tc.want)
		}
	}
}

// A certificate past its rotation deadline is replaced with one of a new
// key, in one file the client can load as a pair; one within its life is
// left alone.
func TestRotateCertificateReplacesTheCertificateBeforeItExpires(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	keyPEM, _ := os.ReadFile(writeKey(t, dir))
	os.Remove(filepath.Join(dir, pendingKeyName))
	key, _ := parseKey(keyPEM)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:w", Organization: []string{"system:nodes"}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	oldCert := ca.sign(t, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), time.Hour)
	credentials := filepath.Join(dir, credentialsName)
	if err := os.WriteFile(credentials, append(oldCert, keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	client := fake.NewClientset()
	created := approveCSRs(t, client, ca)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		RotateCertificate(ctx, RotationConfig{Dir: dir, NodeName: "w", CSRs: kubeapitest.CSRs(client), Logger: slog.New(slog.DiscardHandler),
			// The first certificate lives 1 h and began a minute ago: 1 %
			// of its life has passed, so it is rotated at once; the
			// second lives 24 h and is not due within the test.
			Fraction: func() float64 { return 0.01 }})
	}()
	select {
	case <-created:
	case <-time.After(10 * time.Second):
		t.Fatal("no CSR for a certificate past its rotation deadline")
	}
	var pair tls.Certificate
	deadline := time.Now().Add(10 * time.Second)
	for {
		pair, err = tls.LoadX509KeyPair(credentials, credentials)
		if err == nil {
			if leaf, _ := x509.ParseCertificate(pair.Certificate[0]); leaf != nil && time.Until(leaf.NotAfter) > 2*time.Hour {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("credentials not replaced: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	newKey, _ := os.ReadFile(credentials)
	if string(newKey) == string(append(oldCert, keyPEM...)) {
		t.Error("the credentials file is unchanged")
	}
	if _, err := os.Stat(filepath.Join(dir, pendingKeyName)); err == nil {
		t.Error("the pending key is left behind")
	}
}

// Credentials of the layout before rotation (two files) are combined at
// start, and the kubeconfig names the one file.
func TestSeparateFilesAreMigrated(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, certName), []byte("CERT\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, keyName), []byte("KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := migrateSeparateFiles(dir); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, credentialsName)); err != nil || string(data) != "CERT\nKEY\n" {
		t.Errorf("combined file %q, %v", data, err)
	}
	for _, old := range []string{certName, keyName} {
		if _, err := os.Stat(filepath.Join(dir, old)); err == nil {
			t.Errorf("%s left behind", old)
		}
	}
}
