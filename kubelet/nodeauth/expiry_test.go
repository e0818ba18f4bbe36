package nodeauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
	"github.com/minikubelet/minikubelet/kubelet/kubeapi/kubeapitest"
	"github.com/minikubelet/minikubelet/test/testutil"
)

// writeCredentials writes dir's credentials file: a certificate for node
// from ca, valid for validFor (negative: expired that long ago), and its
// key. It returns the file's content.
func writeCredentials(t *testing.T, dir string, ca *testCA, node string, validFor time.Duration) []byte {
	t.Helper()
	keyPEM, _ := os.ReadFile(writeKey(t, t.TempDir()))
	key, _ := parseKey(keyPEM)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: NodeUserPrefix + node, Organization: []string{NodeGroup}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := ca.sign(t, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), validFor)
	data := append(certPEM, keyPEM...)
	if err := os.WriteFile(filepath.Join(dir, credentialsName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return data
}

// expiredNodeCredentials is a CSR client of a node whose certificate has
// expired: the API server refuses it. It counts the attempts.
func expiredNodeCredentials(attempts *atomic.Int32) kubeapi.CSRs {
	client := fake.NewClientset()
	client.PrependReactor("*", "certificatesigningrequests", func(k8stesting.Action) (bool, runtime.Object, error) {
		attempts.Add(1)
		return true, nil, apierrors.NewUnauthorized("x509: certificate has expired or is not yet valid")
	})
	return kubeapitest.CSRs(client)
}

// waitForValidCredentials waits until the credentials file holds a
// certificate and its key, valid for more than an hour.
func waitForValidCredentials(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pair, err := tls.LoadX509KeyPair(path, path)
		if err == nil {
			if leaf, _ := x509.ParseCertificate(pair.Certificate[0]); leaf != nil && time.Until(leaf.NotAfter) > time.Hour {
				return leaf
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no valid certificate and key in %s: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A node whose certificate expired while the agent ran (or that failed
// every renewal until then), or whose credentials file is gone or broken,
// cannot renew with its own credentials: the rotation asks with the
// bootstrap credentials, with a new key, as at first start, and writes
// the certificate and key in the one file.
func TestRotateCertificateBootstrapsAgainOnceTheCertificateIsUnusable(t *testing.T) {
	for name, spoil := range map[string]func(t *testing.T, dir string, ca *testCA) []byte{
		"expired": func(t *testing.T, dir string, ca *testCA) []byte {
			return writeCredentials(t, dir, ca, "w", -30*time.Second)
		},
		"missing": func(*testing.T, string, *testCA) []byte { return nil },
		"unusable": func(t *testing.T, dir string, _ *testCA) []byte {
			data := []byte("-----BEGIN CERTIFICATE-----\ngarbage\n")
			if err := os.WriteFile(filepath.Join(dir, credentialsName), data, 0o600); err != nil {
				t.Fatal(err)
			}
			return data
		},
	} {
		t.Run(name, func(t *testing.T) {
			ca := newTestCA(t)
			dir := t.TempDir()
			old := spoil(t, dir, ca)
			var nodeAttempts atomic.Int32
			bootstrapClient := fake.NewClientset()
			created := approveCSRs(t, bootstrapClient, ca)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- RotateCertificate(ctx, RotationConfig{Dir: dir, NodeName: "w", CSRs: expiredNodeCredentials(&nodeAttempts),
					Bootstrap: func() (kubeapi.CSRs, error) { return kubeapitest.CSRs(bootstrapClient), nil },
					Logger:    slog.New(slog.DiscardHandler)})
			}()
			select {
			case req := <-created:
				if !strings.HasPrefix(req.Name, "node-csr-") {
					t.Errorf("CSR %q", req.Name)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no CSR with the bootstrap credentials; %d attempts with the node's own", nodeAttempts.Load())
			}
			credentials := filepath.Join(dir, credentialsName)
			leaf := waitForValidCredentials(t, credentials)
			cancel()
			if err := <-done; err != nil {
				t.Errorf("RotateCertificate: %v", err)
			}
			if leaf.Subject.CommonName != "system:node:w" {
				t.Errorf("certificate for %s", leaf.Subject.CommonName)
			}
			now, _ := os.ReadFile(credentials)
			if i := bytes.Index(old, []byte("-----BEGIN EC PRIVATE KEY")); i >= 0 && bytes.Contains(now, old[i:]) {
				t.Error("the new certificate is for the old key")
			}
			if n := nodeAttempts.Load(); n != 0 {
				t.Errorf("%d requests with the node's expired credentials; want none", n)
			}
			if _, err := os.Stat(filepath.Join(dir, pendingKeyName)); err == nil {
				t.Error("the pending key is left behind")
			}
		})
	}
}

// Without bootstrap credentials an expired certificate cannot be renewed:
// the rotation ends with an error that names the file, when it expired
// and the fix, instead of retrying with credentials the API server
// refuses.
func TestRotateCertificateWithoutBootstrapSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	writeCredentials(t, dir, newTestCA(t), "w", -30*time.Second)
	var nodeAttempts atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := RotateCertificate(ctx, RotationConfig{Dir: dir, NodeName: "w", CSRs: expiredNodeCredentials(&nodeAttempts), Logger: slog.New(slog.DiscardHandler)})
	if ctx.Err() != nil {
		t.Fatal("still retrying after 10 s")
	}
	assertCannotRenew(t, err, filepath.Join(dir, credentialsName), "expired at", "there is no bootstrap kubeconfig")
	if n := nodeAttempts.Load(); n != 0 {
		t.Errorf("%d requests with the node's expired credentials", n)
	}
}

// A bootstrap kubeconfig that is gone, or whose token the API server
// refuses, is said with the certificate and the fix.
func TestRebootstrapFailuresSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	writeCredentials(t, dir, newTestCA(t), "w", -30*time.Second)
	cert, err := currentCertificate(dir)
	if err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(t.TempDir(), "bootstrap.kubeconfig")
	cfg := RotationConfig{Dir: dir, NodeName: "w", Logger: slog.New(slog.DiscardHandler),
		Bootstrap: func() (kubeapi.CSRs, error) { return BootstrapCSRs(gone, "test") }}
	assertCannotRenew(t, rebootstrap(context.Background(), cfg, cert, nil), filepath.Join(dir, credentialsName), "expired at", gone)

	given := writeKubeconfig(t, "system:node:w")
	cfg.Bootstrap = func() (kubeapi.CSRs, error) { return BootstrapCSRs(given, "test") }
	assertCannotRenew(t, rebootstrap(context.Background(), cfg, cert, nil), filepath.Join(dir, credentialsName), "expired at", "holds no bootstrap token")

	var attempts atomic.Int32
	cfg.Bootstrap = func() (kubeapi.CSRs, error) { return expiredNodeCredentials(&attempts), nil }
	assertCannotRenew(t, rebootstrap(context.Background(), cfg, cert, nil), filepath.Join(dir, credentialsName), "expired at", "token may have expired")
}

func assertCannotRenew(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range append(wants, "give the node a new certificate, or a bootstrap kubeconfig") {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// An agent started after its certificate expired, with a bootstrap
// kubeconfig, asks for another with it, as at first start, rather than
// with the expired one.
func TestNodeKubeconfigBootstrapsAgainAfterExpiry(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	old := writeCredentials(t, dir, ca, "w", -30*time.Second)
	cfg := BootstrapConfig{Kubeconfig: writeTokenKubeconfig(t, "abcdef.0123456789abcdef"), NodeName: "w", Dir: dir}
	if err := writeNodeKubeconfig(cfg, filepath.Join(dir, KubeconfigName)); err != nil {
		t.Fatal(err)
	}
	client := fake.NewClientset()
	created := approveCSRs(t, client, ca)
	cfg.bootstrapCSRs = kubeapitest.CSRs(client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path, err := NodeKubeconfig(ctx, cfg)
	if err != nil || path != filepath.Join(dir, KubeconfigName) {
		t.Fatalf("NodeKubeconfig = %q, %v", path, err)
	}
	select {
	case <-created:
	default:
		t.Fatal("no CSR with the bootstrap credentials")
	}
	waitForValidCredentials(t, filepath.Join(dir, credentialsName))
	if now, _ := os.ReadFile(filepath.Join(dir, credentialsName)); bytes.Equal(now, old) {
		t.Error("the expired credentials are kept")
	}
}

// Given credentials (no bootstrap kubeconfig) whose certificate expired
// are refused at start, naming the certificate, its expiry and the fix.
func TestLoadRefusesAnExpiredCertificate(t *testing.T) {
	embedded := writeKubeconfigExpiring(t, "system:node:w", -time.Minute)
	_, err := Load(embedded, "test")
	assertExpired(t, err, embedded+" (client-certificate-data)")

	// The same in files, as kubeadm writes them.
	cfg := loadKubeconfig(t, embedded)
	user := currentUser(cfg)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "node.crt"), filepath.Join(dir, "node.key")
	if os.WriteFile(certFile, user.ClientCertificateData, 0o600) != nil || os.WriteFile(keyFile, user.ClientKeyData, 0o600) != nil {
		t.Fatal("writing the certificate files")
	}
	files := writeKubeconfigFile(t, "kubeconfig", currentCluster(cfg), &clientcmdapi.AuthInfo{ClientCertificate: certFile, ClientKey: keyFile})
	_, err = Load(files, "test")
	assertExpired(t, err, certFile)

	if _, err := Load(writeKubeconfigExpiring(t, "system:node:w", time.Minute), "test"); err != nil {
		t.Errorf("a certificate valid for a minute refused: %v", err)
	}
}

func assertExpired(t *testing.T, err error, source string) {
	t.Helper()
	if err == nil {
		t.Fatal("an expired certificate accepted")
	}
	for _, want := range []string{"client certificate " + source, "expired at", "give the node a new certificate", "bootstrap kubeconfig"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Given credentials expiring while the agent runs: the agent cannot renew
// them, and says so as an error once they have expired, unless the file
// was replaced with a valid certificate meanwhile.
func TestWatchExpiryLogsWhenGivenCredentialsExpire(t *testing.T) {
	path := writeKubeconfigExpiring(t, "system:node:w", 2*time.Hour)
	c, err := Load(path, "test")
	if err != nil {
		t.Fatal(err)
	}
	after := func() time.Time { return c.given.NotAfter.Add(time.Second) }
	var logs testutil.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.WatchExpiry(ctx, slog.New(slog.NewTextHandler(&logs, nil)), after)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "level=ERROR") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	for _, want := range []string{"level=ERROR", path + " (client-certificate-data)", "expired at", "give the node a new certificate"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q does not say %q", logs.String(), want)
		}
	}
}

func TestWatchExpiryReadsAReplacedCertificateFile(t *testing.T) {
	cfg := loadKubeconfig(t, writeKubeconfigExpiring(t, "system:node:w", 2*time.Hour))
	user := currentUser(cfg)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "node.crt"), filepath.Join(dir, "node.key")
	if os.WriteFile(certFile, user.ClientCertificateData, 0o600) != nil || os.WriteFile(keyFile, user.ClientKeyData, 0o600) != nil {
		t.Fatal("writing the certificate files")
	}
	c, err := Load(writeKubeconfigFile(t, "kubeconfig", currentCluster(cfg), &clientcmdapi.AuthInfo{ClientCertificate: certFile, ClientKey: keyFile}), "test")
	if err != nil {
		t.Fatal(err)
	}
	// Replaced by a certificate valid a day longer.
	renewed := loadKubeconfig(t, writeKubeconfigExpiring(t, "system:node:w", 26*time.Hour))
	if err := os.WriteFile(certFile, currentUser(renewed).ClientCertificateData, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c.WatchExpiry(ctx, slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return c.given.NotAfter.Add(time.Second) })
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a replaced, valid certificate reported expired: %s", logs.String())
	}
}

// A node whose clock runs past every certificate the cluster issues says
// so and backs off, rather than asking again at once without end.
func TestRotateCertificateSaysWhenTheClockIsPastTheIssuedCertificate(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	writeCredentials(t, dir, ca, "w", time.Hour)
	client := fake.NewClientset()
	created := approveCSRs(t, client, ca)
	var logs testutil.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		RotateCertificate(ctx, RotationConfig{Dir: dir, NodeName: "w", CSRs: expiredNodeCredentials(new(atomic.Int32)),
			Bootstrap: func() (kubeapi.CSRs, error) { return kubeapitest.CSRs(client), nil },
			Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
			// Two days ahead: the issued certificates live one.
			Now: func() time.Time { return time.Now().Add(48 * time.Hour) }})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "check the node's clock") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "expired already by this node's clock") {
		t.Errorf("logs %q do not say the clock is past the issued certificate", logs.String())
	}
	if n := len(created); n > 2 {
		t.Errorf("%d CSRs; want the rotation to back off", n)
	}
}
