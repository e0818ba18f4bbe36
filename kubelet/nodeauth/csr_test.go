package nodeauth

import (
	"context"
	"crypto"
	"crypto/x509/pkix"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	certutil "k8s.io/client-go/util/cert"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi/kubeapitest"
)

func TestIssuedEndsTheWaitOnlyWithACertificateOrAnAnswer(t *testing.T) {
	cond := func(typ certificatesv1.RequestConditionType) []certificatesv1.CertificateSigningRequestCondition {
		return []certificatesv1.CertificateSigningRequestCondition{{Type: typ, Status: v1.ConditionTrue, Reason: "R", Message: "M"}}
	}
	for _, tc := range []struct {
		name    string
		req     certificatesv1.CertificateSigningRequest
		done    bool
		wantErr string
	}{
		{name: "pending", req: certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{UID: "u"}}},
		{name: "approved, not signed yet", req: certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{UID: "u"},
			Status: certificatesv1.CertificateSigningRequestStatus{Conditions: cond(certificatesv1.CertificateApproved)}}},
		{name: "signed", done: true, req: certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{UID: "u"},
			Status: certificatesv1.CertificateSigningRequestStatus{Conditions: cond(certificatesv1.CertificateApproved), Certificate: []byte("CERT")}}},
		{name: "denied", done: true, wantErr: "denied: R M", req: certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{UID: "u"},
			Status: certificatesv1.CertificateSigningRequestStatus{Conditions: cond(certificatesv1.CertificateDenied)}}},
		{name: "failed", done: true, wantErr: "signing failed", req: certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{UID: "u"},
			Status: certificatesv1.CertificateSigningRequestStatus{Conditions: cond(certificatesv1.CertificateFailed)}}},
		{name: "replaced", done: true, wantErr: "replaced", req: certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{UID: "other"}}},
	} {
		cert, done, err := issued(&tc.req, "u")
		if done != tc.done || (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: done=%v err=%v, want done=%v and an error with %q", tc.name, done, err, tc.done, tc.wantErr)
		}
		if tc.name == "signed" && string(cert) != "CERT" {
			t.Errorf("signed: certificate %q", cert)
		}
	}
}

// A restart while waiting finds its own CSR (same name, same key) and waits
// on it; a CSR of that name for another key is refused with the fix.
func TestRequestCSRReusesOnlyItsOwnEarlierRequest(t *testing.T) {
	dir := t.TempDir()
	csrs := kubeapitest.CSRs(fake.NewClientset())
	request := func(keyFile string) (string, error) {
		keyPEM, _ := os.ReadFile(keyFile)
		key, err := parseKey(keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		csrPEM, err := certutil.MakeCSR(key, &pkix.Name{CommonName: "system:node:worker-1"}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		usages := []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
		name, _, err := requestCSR(context.Background(), csrs, csrPEM, "node-csr-fixed", usages, key.(crypto.Signer))
		return name, err
	}
	first := writeKey(t, dir)
	if name, err := request(first); err != nil || name != "node-csr-fixed" {
		t.Fatalf("first request: %q, %v", name, err)
	}
	if name, err := request(first); err != nil || name != "node-csr-fixed" {
		t.Fatalf("the same key again should reuse the request: %q, %v", name, err)
	}
	other := writeKey(t, t.TempDir())
	if _, err := request(other); err == nil || !strings.Contains(err.Error(), "another key") || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("another key's request of that name: %v; want it refused, naming the fix", err)
	}
}

// What the cluster issued is used only if it names this node in the nodes'
// group and holds our key.
func TestCertificateForChecksSubjectAndKey(t *testing.T) {
	ca := newTestCA(t)
	keyPEM, _ := os.ReadFile(writeKey(t, t.TempDir()))
	key, _ := parseKey(keyPEM)
	otherPEM, _ := os.ReadFile(writeKey(t, t.TempDir()))
	other, _ := parseKey(otherPEM)
	issue := func(k any, cn string, orgs ...string) []byte {
		csrPEM, err := certutil.MakeCSR(k, &pkix.Name{CommonName: cn, Organization: orgs}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ca.sign(t, csrPEM, time.Hour)
	}
	signer := key.(crypto.Signer)
	if err := certificateFor(issue(key, "system:node:w", "system:nodes"), "w", signer); err != nil {
		t.Errorf("our certificate refused: %v", err)
	}
	for name, cert := range map[string][]byte{
		"another node":  issue(key, "system:node:x", "system:nodes"),
		"not a node":    issue(key, "system:node:w"),
		"another's key": issue(other, "system:node:w", "system:nodes"),
	} {
		if err := certificateFor(cert, "w", signer); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A pending key cut short by a crash is replaced, not an error forever.
func TestUnreadablePendingKeyIsMadeAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), pendingKeyName)
	if err := os.WriteFile(path, []byte("-----BEGIN EC PRIV"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := loadOrMakeKey(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseKey(data); err != nil {
		t.Fatalf("made key unreadable: %v", err)
	}
	again, err := loadOrMakeKey(path, slog.New(slog.DiscardHandler))
	if err != nil || string(again) != string(data) {
		t.Fatalf("a readable pending key is reused, got another (%v)", err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("pending key mode %v, %v; want 0600", info.Mode(), err)
	}
}
