package nodeauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

const (
	// csrPollInterval is how often a pending CSR is read again; the
	// controller-manager approves and signs within a second or two.
	csrPollInterval = time.Second
	// csrWaitLimit bounds one wait for approval, as the kubelet's
	// bootstrap does; the caller's retry then asks again and says so.
	csrWaitLimit = time.Hour
)

// errRequestRefused marks a CSR the cluster answered for good (denied,
// failed, replaced, or signed for another subject or key): asking again
// with the same key would find the same answer.
var errRequestRefused = errors.New("the request was refused")

// The two steps below are what client-go's util/certificate/csr helpers do,
// on kubeapi's CSR client: those helpers take the full clientset, which
// the agent does not link (kubeapi's package comment says why).

// requestCSR creates the CSR named name, or reuses one of that name made
// for the same key, signer and usages by an earlier start.
func requestCSR(ctx context.Context, csrs kubeapi.CSRs, csrPEM []byte, name string, usages []certificatesv1.KeyUsage, key crypto.Signer) (string, types.UID, error) {
	want := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       certificatesv1.CertificateSigningRequestSpec{Request: csrPEM, SignerName: SignerKubeletClient, Usages: usages},
	}
	created, err := csrs.Create(ctx, want)
	if err == nil {
		return created.Name, created.UID, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return "", "", err
	}
	existing, err := csrs.Get(ctx, name)
	if err != nil {
		return "", "", fmt.Errorf("reading the existing request %s: %w", name, err)
	}
	if err := sameRequest(existing, want, key); err != nil {
		return "", "", fmt.Errorf("a certificate signing request named %s exists and is not this node's (%w); delete it or let it expire", name, err)
	}
	return existing.Name, existing.UID, nil
}

// sameRequest checks an existing CSR asks what want asks, for key.
func sameRequest(existing, want *certificatesv1.CertificateSigningRequest, key crypto.Signer) error {
	if existing.Spec.SignerName != want.Spec.SignerName {
		return fmt.Errorf("signer %s", existing.Spec.SignerName)
	}
	if !slices.Equal(existing.Spec.Usages, want.Spec.Usages) {
		return fmt.Errorf("usages %v", existing.Spec.Usages)
	}
	block, _ := pem.Decode(existing.Spec.Request)
	if block == nil {
		return errors.New("no PEM request in it")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return fmt.Errorf("its request: %w", err)
	}
	if wantBlock, _ := pem.Decode(want.Spec.Request); wantBlock != nil {
		if wanted, err := x509.ParseCertificateRequest(wantBlock.Bytes); err == nil &&
			(req.Subject.CommonName != wanted.Subject.CommonName || !slices.Equal(req.Subject.Organization, wanted.Subject.Organization)) {
			return fmt.Errorf("subject %s in %v", req.Subject.CommonName, req.Subject.Organization)
		}
	}
	ours, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	theirs, err := x509.MarshalPKIXPublicKey(req.PublicKey)
	if err != nil || !bytes.Equal(ours, theirs) {
		return errors.New("another key")
	}
	return nil
}

// waitForCertificate reads the CSR until it is approved and signed, and
// returns the certificate; a denial or failure, or the CSR replaced by
// another of the same name, ends the wait with an error, as ctx does.
func waitForCertificate(ctx context.Context, csrs kubeapi.CSRs, name string, uid types.UID, log *slog.Logger) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, csrWaitLimit)
	defer cancel()
	ticker := time.NewTicker(csrPollInterval)
	defer ticker.Stop()
	lastErr := ""
	for {
		callCtx, cancelCall := context.WithTimeout(ctx, requestTimeout)
		req, err := csrs.Get(callCtx, name)
		cancelCall()
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("not approved and signed yet: %w", ctx.Err())
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("it was deleted before it was signed: %w", errRequestRefused)
		case apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err):
			return nil, fmt.Errorf("the bootstrap credentials may no longer read it (%w); check the bootstrap token has not expired", err)
		case err != nil:
			if err.Error() != lastErr { // one line per distinct failure, not one a second
				lastErr = err.Error()
				log.Warn("reading the node's certificate signing request failed; retrying", "csr", name, "err", err)
			}
		default:
			if cert, done, err := issued(req, uid); done {
				return cert, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("not approved and signed yet: %w", ctx.Err())
		case <-ticker.C:
		}
	}
}

// issued says whether the wait is over and with what.
func issued(req *certificatesv1.CertificateSigningRequest, uid types.UID) ([]byte, bool, error) {
	if uid != "" && req.UID != uid {
		return nil, true, fmt.Errorf("it was replaced by another request of the same name: %w", errRequestRefused)
	}
	approved := false
	for _, c := range req.Status.Conditions {
		if c.Status != v1.ConditionTrue && c.Status != "" {
			continue
		}
		switch c.Type {
		case certificatesv1.CertificateDenied:
			return nil, true, fmt.Errorf("denied: %s %s: %w", c.Reason, c.Message, errRequestRefused)
		case certificatesv1.CertificateFailed:
			return nil, true, fmt.Errorf("signing failed: %s %s: %w", c.Reason, c.Message, errRequestRefused)
		case certificatesv1.CertificateApproved:
			approved = true
		}
	}
	if approved && len(req.Status.Certificate) > 0 {
		return req.Status.Certificate, true, nil
	}
	return nil, false, nil
}
