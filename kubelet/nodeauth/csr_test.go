package nodeauth

import (
	"context"
	"crypto"
	"crypto/x509/pkix"
	"os"
	"strings"
	"testing"

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
