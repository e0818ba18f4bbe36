package framework

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Every request a test makes to an agent goes through these helpers, as
// the agent's administrator: with the token and the certificate the agent
// wrote into its admin kubeconfig, as kubectl would use them.

// Kubeconfig is the admin kubeconfig the agent writes at start.
func (a *Agent) Kubeconfig() string { return filepath.Join(a.RootDir, "admin.kubeconfig") }

// ClientArgs are the connection flags that point minikubelet's CLI or the
// real kubectl at the agent as its administrator.
func (a *Agent) ClientArgs() []string {
	return []string{"--kubeconfig", a.Kubeconfig()}
}

// HTTPClient returns a client that talks to the agent's API as its
// administrator. Until the agent has written its kubeconfig, its requests
// fail saying so.
func (a *Agent) HTTPClient() *http.Client {
	client, err := a.access.client(a.Kubeconfig())
	if err != nil {
		return &http.Client{Transport: failingTransport{err}}
	}
	return client
}

// Get sends GET path to the agent's API as its administrator.
func (a *Agent) Get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL(path), nil)
	if err != nil {
		return nil, err
	}
	return a.HTTPClient().Do(req)
}

// GetBody is HTTPGet against the agent's API: it retries until a 2xx
// answer or ctx ends, and returns the body.
func (a *Agent) GetBody(ctx context.Context, path string) (string, error) {
	return httpGetWith(ctx, a.HTTPClient(), a.URL(path))
}

// adminAccess caches the client built from one version of the kubeconfig;
// a restarted agent may rewrite it.
type adminAccess struct {
	mu      sync.Mutex
	modTime time.Time
	size    int64
	cached  *http.Client
}

func (c *adminAccess) client(kubeconfig string) (*http.Client, error) {
	info, err := os.Stat(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("the agent has not written its kubeconfig yet: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cached != nil && info.ModTime().Equal(c.modTime) && info.Size() == c.size {
		return c.cached, nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", kubeconfig, err)
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", kubeconfig, err)
	}
	c.cached, c.modTime, c.size = client, info.ModTime(), info.Size()
	return client, nil
}

// failingTransport fails every request with err.
type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }
