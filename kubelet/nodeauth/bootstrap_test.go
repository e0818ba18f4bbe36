package nodeauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/keyutil"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi/kubeapitest"
)

// writeTokenKubeconfig writes a kubeconfig whose user has token.
func writeTokenKubeconfig(t *testing.T, token string) string {
	t.Helper()
	return writeKubeconfigFile(t, "bootstrap.kubeconfig",
		&clientcmdapi.Cluster{Server: "https://127.0.0.1:16443", CertificateAuthority: "ca.crt"}, &clientcmdapi.AuthInfo{Token: token})
}

// writeKubeconfigFile writes a kubeconfig of one cluster and one user,
// current, in a new temporary directory.
func writeKubeconfigFile(t *testing.T, name string, cluster *clientcmdapi.Cluster, user *clientcmdapi.AuthInfo) string {
	t.Helper()
	cfg := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"c": cluster},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"u": user},
		Contexts:       map[string]*clientcmdapi.Context{"x": {Cluster: "c", AuthInfo: "u"}},
		CurrentContext: "x",
	}
	path := filepath.Join(t.TempDir(), name)
	if err := clientcmd.WriteToFile(cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestIsBootstrap(t *testing.T) {
	for path, want := range map[string]bool{
		writeTokenKubeconfig(t, "abcdef.0123456789abcdef"): true,
		writeTokenKubeconfig(t, "a-service-account-jwt"):   false,
		writeKubeconfig(t, "system:node:worker-1"):         false,
	} {
		got, err := IsBootstrap(path)
		if err != nil || got != want {
			t.Errorf("IsBootstrap(%s) = %v, %v; want %v", path, got, err, want)
		}
	}
}

func TestNodeKubeconfigKeepsNodeCredentials(t *testing.T) {
	path := writeKubeconfig(t, "system:node:worker-1")
	got, err := NodeKubeconfig(context.Background(), BootstrapConfig{Kubeconfig: path, NodeName: "worker-1", Dir: t.TempDir()})
	if err != nil || got != path {
		t.Errorf("NodeKubeconfig = %q, %v; want the given kubeconfig", got, err)
	}
}

// testCA signs what an approver approves.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour * 24)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) sign(t *testing.T, csrPEM []byte, validFor time.Duration) []byte {
	t.Helper()
	block, _ := pem.Decode(csrPEM)
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: req.Subject, NotBefore: time.Now().Add(-time.Minute),
		NotAfter: time.Now().Add(validFor), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, req.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// approveCSRs plays the controller-manager: it approves and signs every
// CSR created on client, and reports each.
func approveCSRs(t *testing.T, client *fake.Clientset, ca *testCA) <-chan *certificatesv1.CertificateSigningRequest {
	created := make(chan *certificatesv1.CertificateSigningRequest, 10)
	client.PrependReactor("create", "certificatesigningrequests", func(a k8stesting.Action) (bool, runtime.Object, error) {
		req := a.(k8stesting.CreateAction).GetObject().(*certificatesv1.CertificateSigningRequest)
		req.UID = types.UID("uid-" + req.Name)
		created <- req.DeepCopy()
		signed := req.DeepCopy()
		signed.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved, Status: "True"}}
		signed.Status.Certificate = ca.sign(t, req.Spec.Request, 24*time.Hour)
		go func() {
			time.Sleep(50 * time.Millisecond)
			if _, err := client.CertificatesV1().CertificateSigningRequests().UpdateStatus(context.Background(), signed, metav1.UpdateOptions{}); err != nil {
				t.Error(err)
			}
		}()
		return false, nil, nil
	})
	return created
}

func TestSignedCertificateAsksAsTheKubeletDoes(t *testing.T) {
	client := fake.NewClientset()
	ca := newTestCA(t)
	created := approveCSRs(t, client, ca)
	dir := t.TempDir()
	keyPEM, err := os.ReadFile(writeKey(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	certPEM, err := signedCertificate(ctx, kubeapitest.CSRs(client), BootstrapConfig{NodeName: "worker-1", Logger: slog.New(slog.DiscardHandler)}, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	req := <-created
	if req.Spec.SignerName != "kubernetes.io/kube-apiserver-client-kubelet" {
		t.Errorf("signer %q", req.Spec.SignerName)
	}
	if !slices.Equal(req.Spec.Usages, []certificatesv1.KeyUsage{"digital signature", "client auth"}) {
		t.Errorf("usages %v", req.Spec.Usages)
	}
	if !strings.HasPrefix(req.Name, "node-csr-") {
		t.Errorf("CSR name %q", req.Name)
	}
	block, _ := pem.Decode(req.Spec.Request)
	parsed, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Subject.CommonName != "system:node:worker-1" || !slices.Equal(parsed.Subject.Organization, []string{"system:nodes"}) {
		t.Errorf("CSR subject %v", parsed.Subject)
	}
	if !strings.Contains(string(certPEM), "BEGIN CERTIFICATE") {
		t.Errorf("no certificate returned: %q", certPEM)
	}
}

func TestCSRNameIsStablePerKeyAndNode(t *testing.T) {
	dir := t.TempDir()
	keyPEM, _ := os.ReadFile(writeKey(t, dir))
	key, err := parseKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := csrName(key, "worker-1")
	b, _ := csrName(key, "worker-1")
	c, _ := csrName(key, "worker-2")
	if a != b || a == c {
		t.Errorf("names %q %q %q: want the same for the same key and node, another for another node", a, b, c)
	}
}

// Only a complete set is used: this node's certificate, valid long enough,
// with the key it was issued for and the kubeconfig naming them. A crash
// mid-bootstrap leaves less, and the next start asks again.
func TestValidCredentialsWantsTheWholeSet(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	set := func(t *testing.T, cn string, validFor time.Duration) string {
		dir := t.TempDir()
		keyPEM, _ := os.ReadFile(writeKey(t, dir))
		key, _ := parseKey(keyPEM)
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
		if err != nil {
			t.Fatal(err)
		}
		certPEM := ca.sign(t, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), validFor)
		for name, data := range map[string][]byte{
			credentialsName: append(certPEM, keyPEM...),
			KubeconfigName:  []byte("apiVersion: v1\nkind: Config\n"),
		} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	if err := validCredentials(set(t, "system:node:w", 24*time.Hour), "w", now); err != nil {
		t.Errorf("a complete, valid set refused: %v", err)
	}
	if err := validCredentials(set(t, "system:node:x", 24*time.Hour), "w", now); err == nil || !strings.Contains(err.Error(), "system:node:x, not this node") {
		t.Errorf("another node's certificate: %v", err)
	}
	if err := validCredentials(set(t, "system:node:w", 30*time.Minute), "w", now); err == nil || !strings.Contains(err.Error(), "expires at") {
		t.Errorf("expiring certificate: %v", err)
	}
	if err := validCredentials(t.TempDir(), "w", now); !os.IsNotExist(err) {
		t.Errorf("no certificate: %v, want not-exist (a first bootstrap, said quietly)", err)
	}
	otherKey := set(t, "system:node:w", 24*time.Hour)
	other, _ := os.ReadFile(writeKey(t, t.TempDir()))
	credentials, _ := os.ReadFile(filepath.Join(otherKey, credentialsName))
	certOnly := credentials[:strings.Index(string(credentials), "-----END CERTIFICATE-----")+len("-----END CERTIFICATE-----\n")]
	if err := os.WriteFile(filepath.Join(otherKey, credentialsName), append(certOnly, other...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := validCredentials(otherKey, "w", now); err == nil {
		t.Error("a certificate with another key (crash between writing them) was accepted")
	}
	noKubeconfig := set(t, "system:node:w", 24*time.Hour)
	os.Remove(filepath.Join(noKubeconfig, KubeconfigName))
	if err := validCredentials(noKubeconfig, "w", now); err == nil || !strings.Contains(err.Error(), "kubeconfig") {
		t.Errorf("no kubeconfig (crash before it was written): %v", err)
	}
}

func TestWriteNodeKubeconfig(t *testing.T) {
	bootstrap := writeTokenKubeconfig(t, "abcdef.0123456789abcdef")
	dir := t.TempDir()
	out := filepath.Join(dir, KubeconfigName)
	if err := writeNodeKubeconfig(BootstrapConfig{Kubeconfig: bootstrap, Dir: dir}, out); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig mode %v, %v; want 0600", info.Mode(), err)
	}
	cfg, err := clientcmd.LoadFromFile(out)
	if err != nil {
		t.Fatal(err)
	}
	cluster, user := currentCluster(cfg), currentUser(cfg)
	if cluster.Server != "https://127.0.0.1:16443" || cluster.CertificateAuthority != filepath.Join(filepath.Dir(bootstrap), "ca.crt") {
		t.Errorf("cluster %+v: want the bootstrap kubeconfig's, CA path absolute", cluster)
	}
	if user.Token != "" || user.ClientCertificate != filepath.Join(dir, credentialsName) || user.ClientKey != filepath.Join(dir, credentialsName) {
		t.Errorf("user %+v: want the node's certificate and key, both in one file, no token", user)
	}
}

func writeKey(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "key.pem")
	if _, _, err := keyutil.LoadOrGenerateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func parseKey(data []byte) (any, error) { return keyutil.ParsePrivateKeyPEM(data) }
