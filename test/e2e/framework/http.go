package framework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

const (
	// defaultHTTPWait bounds HTTPGet when ctx has no deadline of its own.
	defaultHTTPWait = time.Minute
	// httpAttemptTimeout bounds one try, so a black-holed SYN cannot use
	// up the whole wait.
	httpAttemptTimeout = 2 * time.Second
	httpRetryDelay     = 100 * time.Millisecond
)

// HTTPGet fetches url, retrying connection errors and non-2xx answers until
// one succeeds or ctx ends (one minute when ctx has no deadline), and
// returns the body. A pod's server takes a moment to listen after its
// container starts; the error after giving up says what the last try saw.
func HTTPGet(ctx context.Context, url string) (string, error) {
	return httpGetWith(ctx, http.DefaultClient, url)
}

// httpGetWith is HTTPGet with base's transport (and so its credentials).
func httpGetWith(ctx context.Context, base *http.Client, url string) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultHTTPWait)
		defer cancel()
	}
	client := &http.Client{Transport: base.Transport, Timeout: httpAttemptTimeout}
	defer client.CloseIdleConnections()
	var lastErr error
	for attempts := 1; ; attempts++ {
		body, err := getOnce(ctx, client, url)
		if err == nil {
			return body, nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("GET %s: no success in %d attempts before %w; last attempt: %w", url, attempts, ctx.Err(), lastErr)
		case <-time.After(httpRetryDelay):
		}
	}
}

func getOnce(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading body: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return "", errors.New(resp.Status + ": " + string(body))
	}
	return string(body), nil
}
