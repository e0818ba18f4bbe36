package nodeauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

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
	CSRs kubeapi.CSRs
	// Bootstrap makes a client of the bootstrap credentials, read anew at
	// each use (BootstrapCSRs), for when the node's own no longer
	// authenticate it: its certificate expired (the agent was down past
	// it, or every renewal failed) or is missing or unusable. Nil when
	// there are none.
	Bootstrap func() (kubeapi.CSRs, error)
	Logger    *slog.Logger
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
// retried while the old certificate still works. Once it has expired (or
// is missing or unusable), the CSR is made with the bootstrap credentials
// instead, as at first start and as the kubelet falls back to its
// bootstrap kubeconfig; failures are then logged as errors, naming the
// certificate and the fix, and retried, so a restored bootstrap
// kubeconfig or a new certificate is taken up without a restart. With no
// bootstrap credentials at all it returns that error: nothing could renew
// the certificate.
func RotateCertificate(ctx context.Context, cfg RotationConfig) error {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Fraction == nil {
		cfg.Fraction = func() float64 { return 0.7 + 0.2*rand.Float64() }
	}
	var retry time.Duration
	for ctx.Err() == nil {
		cert, err := currentCertificate(cfg.Dir)
		expired := err != nil || !cfg.Now().Before(cert.NotAfter)
		switch {
		case expired && cfg.Bootstrap == nil:
			return cannotRenew(cfg.Dir, cert, err, errors.New("there is no bootstrap kubeconfig to request another with"))
		case expired:
			err = rebootstrap(ctx, cfg, cert, err)
		default:
			deadline := RotationDeadline(cert.NotBefore, cert.NotAfter, cfg.Fraction())
			cfg.Logger.Info("node client certificate", "expires", cert.NotAfter.Format(time.RFC3339), "rotation", deadline.Format(time.RFC3339))
			if !sleepUntil(ctx, deadline, cfg.Now) {
				return nil
			}
			if !cfg.Now().Before(cert.NotAfter) {
				continue // slept past its expiry (a suspended machine): bootstrap
			}
			cfg.Logger.Info("rotating the node's client certificate", "expires", cert.NotAfter.Format(time.RFC3339))
			err = obtainCredentials(ctx, cfg.CSRs, BootstrapConfig{Dir: cfg.Dir, NodeName: cfg.NodeName, Logger: cfg.Logger})
		}
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = checkIssued(cfg)
		}
		if err == nil {
			retry = 0
			continue
		}
		retry = min(max(2*retry, time.Second), maxRotationRetryWait)
		if expired {
			cfg.Logger.Error("the node cannot authenticate to the API server until it has a new certificate; retrying", "retry", retry, "err", err)
		} else {
			cfg.Logger.Warn("rotating the node's client certificate failed; retrying", "retry", retry, "err", err)
		}
		if !sleepUntil(ctx, cfg.Now().Add(retry), cfg.Now) {
			return nil
		}
	}
	return nil
}

// rebootstrap requests a certificate with the bootstrap credentials for
// cert, which expired (or could not be read: unusable says why).
func rebootstrap(ctx context.Context, cfg RotationConfig, cert *x509.Certificate, unusable error) error {
	csrs, err := cfg.Bootstrap()
	if err != nil {
		return cannotRenew(cfg.Dir, cert, unusable, err)
	}
	if cert != nil {
		cfg.Logger.Warn("the node's client certificate has expired; requesting another with the bootstrap credentials",
			"path", filepath.Join(cfg.Dir, credentialsName), "expired", cert.NotAfter.Format(time.RFC3339))
	} else {
		cfg.Logger.Warn("the node's client certificate is unusable; requesting another with the bootstrap credentials", "err", unusable)
	}
	err = obtainCredentials(ctx, csrs, BootstrapConfig{Dir: cfg.Dir, NodeName: cfg.NodeName, Logger: cfg.Logger})
	if apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err) {
		return cannotRenew(cfg.Dir, cert, unusable, fmt.Errorf("the bootstrap credentials were refused, their token may have expired: %w", err))
	}
	return err
}

// checkIssued refuses a new certificate that is expired already by this
// node's clock: asked for again at once, it would be asked for without end.
func checkIssued(cfg RotationConfig) error {
	cert, err := currentCertificate(cfg.Dir)
	if err != nil || cfg.Now().Before(cert.NotAfter) {
		return err
	}
	return fmt.Errorf("the cluster issued a certificate valid until %s, expired already by this node's clock (%s): check the node's clock",
		cert.NotAfter.Format(time.RFC3339), cfg.Now().Format(time.RFC3339))
}

// cannotRenew says the certificate in dir (nil when unusable, with why)
// cannot renew itself, why no other could be requested, and the fix.
func cannotRenew(dir string, cert *x509.Certificate, unusable, why error) error {
	state := "is unusable (" + fmt.Sprint(unusable) + ")"
	if cert != nil {
		state = "expired at " + cert.NotAfter.Format(time.RFC3339)
	}
	return fmt.Errorf("the node's client certificate %s %s, so the node cannot renew it with its own credentials, and %w: "+
		"give the node a new certificate, or a bootstrap kubeconfig (--kubeconfig with a bootstrap token) to request one with",
		filepath.Join(dir, credentialsName), state, why)
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

// currentCertificate reads the certificate of the credentials file and
// checks the key there is its own.
func currentCertificate(dir string) (*x509.Certificate, error) {
	path := filepath.Join(dir, credentialsName)
	pair, err := tls.LoadX509KeyPair(path, path)
	if err != nil {
		return nil, fmt.Errorf("reading the node's credentials %s: %w", path, err)
	}
	return x509.ParseCertificate(pair.Certificate[0])
}
