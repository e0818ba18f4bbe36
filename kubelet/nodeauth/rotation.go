package nodeauth

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

// maxRotationRetryWait caps the wait between failed rotations; the old
// certificate stays valid meanwhile (rotation starts at 70-90 % of its
// life).
const maxRotationRetryWait = 5 * time.Minute

// RotationConfig is what RotateCertificate needs.
type RotationConfig struct {
	// Dir holds the credentials the bootstrap wrote.
	Dir      string
	NodeName string
	// CSRs is the client of the node's own credentials: the API server
	// lets a node ask for its renewed certificate (selfnodeclient).
	CSRs   kubeapi.CSRs
	Logger *slog.Logger
	// Now and Fraction default to time.Now and a random fraction in
	// [0.7, 0.9): when in the certificate's life it is replaced.
	Now      func() time.Time
	Fraction func() float64
}

// RotateCertificate replaces the node's client certificate before it
// expires, until ctx ends, as the kubelet's certificate manager does: at
// a jittered 70-90 % of its life (so a fleet started together does not
// renew together) a new key, a CSR with the current credentials, and,
// once signed, both written in one step to the file the kubeconfig names
// (client-go reloads it within 5 minutes). Failures are logged and
// retried while the old certificate still works.
func RotateCertificate(ctx context.Context, cfg RotationConfig) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Fraction == nil {
		cfg.Fraction = func() float64 { return 0.7 + 0.2*rand.Float64() }
	}
	var retry time.Duration
	for ctx.Err() == nil {
		cert, err := currentCertificate(cfg.Dir)
		if err == nil {
			deadline := RotationDeadline(cert.NotBefore, cert.NotAfter, cfg.Fraction())
			cfg.Logger.Info("node client certificate", "expires", cert.NotAfter.Format(time.RFC3339), "rotation", deadline.Format(time.RFC3339))
			if !sleepUntil(ctx, deadline, cfg.Now) {
				return
			}
			cfg.Logger.Info("rotating the node's client certificate", "expires", cert.NotAfter.Format(time.RFC3339))
			err = obtainCredentials(ctx, cfg.CSRs, BootstrapConfig{Dir: cfg.Dir, NodeName: cfg.NodeName, Logger: cfg.Logger})
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			retry = 0
			continue
		}
		retry = min(max(2*retry, time.Second), maxRotationRetryWait)
		cfg.Logger.Warn("rotating the node's client certificate failed; retrying", "retry", retry, "err", err)
		if !sleepUntil(ctx, cfg.Now().Add(retry), cfg.Now) {
			return
		}
	}
}

// RotationDeadline is when in a certificate's life it is replaced:
// fraction of the way from notBefore to notAfter. It is pure.
func RotationDeadline(notBefore, notAfter time.Time, fraction float64) time.Time {
	return notBefore.Add(time.Duration(float64(notAfter.Sub(notBefore)) * fraction))
}

// sleepUntil waits until deadline by now's clock, in steps of at most an
// hour so a clock that jumps is noticed; false when ctx ended first.
func sleepUntil(ctx context.Context, deadline time.Time, now func() time.Time) bool {
	for {
		left := deadline.Sub(now())
		if left <= 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(min(left, time.Hour)):
		}
	}
}

// currentCertificate reads the certificate of the credentials file.
func currentCertificate(dir string) (*x509.Certificate, error) {
	path := filepath.Join(dir, credentialsName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the node's credentials: %w", err)
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
	return nil, errors.New(path + " holds no certificate")
}
