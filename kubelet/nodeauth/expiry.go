package nodeauth

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"os"
	"time"
)

// WatchExpiry watches the client certificate of given credentials (a
// kubeconfig that is no bootstrap kubeconfig), which the agent cannot
// renew: once it expires, the API server refuses the node, and that is
// logged as an error naming the certificate, its expiry and the fix, then
// again every maxRotationRetryWait while it stays expired, until ctx ends.
// A certificate file replaced meanwhile (client-go reloads it) is read
// again and watched in turn. Nothing to watch without a certificate.
func (c *Client) WatchExpiry(ctx context.Context, log *slog.Logger, now func() time.Time) {
	cert := c.given
	for cert != nil {
		if !sleepUntil(ctx, cert.NotAfter, now) {
			return
		}
		if renewed, err := c.readGiven(); err == nil {
			cert = renewed
		}
		err := checkNotExpired(cert, c.givenSource, now())
		if err == nil {
			continue
		}
		log.Error("the node can no longer authenticate to the API server", "err", err)
		if !sleepUntil(ctx, now().Add(maxRotationRetryWait), now) {
			return
		}
	}
}

// readGiven reads the certificate file again; an error when the
// certificate was in the kubeconfig.
func (c *Client) readGiven() (*x509.Certificate, error) {
	if c.givenFile == "" {
		return nil, errors.New("the certificate is in the kubeconfig")
	}
	data, err := os.ReadFile(c.givenFile)
	if err != nil {
		return nil, err
	}
	return parseCertificatePEM(data)
}
