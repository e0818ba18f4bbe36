package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// FetchOptions name the container(s) whose log Fetch streams.
type FetchOptions struct {
	// Namespace ("" means "default") and Pod name the pod.
	Namespace string
	Pod       string
	// Container may be empty for a pod with a single container.
	Container string
	// AllContainers streams every container of the pod instead.
	AllContainers bool
	// Prefix tags each line with "[pod/<pod>/<container>] ".
	Prefix bool
	// Options select the part of the log.
	Options Options
	// Client sends the request; nil means a client without timeout, as a
	// follow may last indefinitely.
	Client *http.Client
}

// ServerError is an error answer of the agent; Message is its explanation
// (for example kubectl's "a container name must be specified ..." text).
type ServerError struct {
	// StatusCode is the HTTP status; Message the body's explanation.
	StatusCode int
	Message    string
}

// Error implements error.
func (e *ServerError) Error() string { return e.Message }

// Fetch asks the agent at serverURL for a container log and copies it to w
// as it arrives, until the log ends (the container stopped, for a follow)
// or ctx ends.
func Fetch(ctx context.Context, serverURL string, opts FetchOptions, w io.Writer) error {
	target, err := logsURL(serverURL, opts)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("building log request: %w", err)
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{}
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("cannot reach minikubelet at %s (is `minikubelet run` running there? point --server at it): %w", serverURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		msg := strings.TrimSpace(string(body))
		if msg == "" {
			msg = resp.Status
		}
		return &ServerError{StatusCode: resp.StatusCode, Message: msg}
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("receiving log of pod %s/%s: %w", opts.Namespace, opts.Pod, err)
	}
	return nil
}

// logsURL builds the /containerLogs URL for the options.
func logsURL(serverURL string, opts FetchOptions) (string, error) {
	if opts.Pod == "" {
		return "", errors.New("a pod name is required")
	}
	if opts.AllContainers && opts.Container != "" {
		return "", errors.New("a container name and all containers were both requested: give only one")
	}
	if err := opts.Options.Validate(); err != nil {
		return "", err
	}
	base, err := url.Parse(serverURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return "", fmt.Errorf("server URL %q is not an absolute http(s) URL such as http://127.0.0.1:10350", serverURL)
	}
	namespace := opts.Namespace
	if namespace == "" {
		namespace = "default"
	}
	path := "/containerLogs/" + url.PathEscape(namespace) + "/" + url.PathEscape(opts.Pod)
	if opts.Container != "" {
		path += "/" + url.PathEscape(opts.Container)
	}
	query := opts.Options.Query()
	if opts.AllContainers {
		query.Set(paramAllContainers, "true")
	}
	if opts.Prefix {
		query.Set(paramPrefix, "true")
	}
	target := base.JoinPath(path)
	target.RawQuery = query.Encode()
	return target.String(), nil
}
