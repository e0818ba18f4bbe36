package apiclient

import (
	"encoding/json"
	"fmt"
	"net/http"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// Client makes the node API's requests over one resolved connection.
type Client struct {
	target *Target
	// rest speaks core/v1: pods, events, their Tables and watches.
	rest *rest.RESTClient
	// http is the client beneath rest, with the same TLS and token, for
	// the streams client-go has no verb for (logs).
	http *http.Client
}

// Dial resolves the connection and builds its client; it sends nothing.
func Dial(conn Connection) (*Client, error) {
	target, err := conn.Resolve()
	if err != nil {
		return nil, err
	}
	return NewClient(target)
}

// NewClient builds client-go's REST client for the core v1 API of target,
// the same machinery kubectl uses.
func NewClient(target *Target) (*Client, error) {
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	metav1.AddMetaToScheme(scheme)
	cfg := rest.CopyConfig(target.Config)
	cfg.APIPath = "/api"
	cfg.ContentConfig = rest.ContentConfig{
		GroupVersion:         &v1.SchemeGroupVersion,
		NegotiatedSerializer: serializer.NewCodecFactory(scheme).WithoutConversion(),
	}
	// No timeout on the HTTP client: a watch or a log follow lasts as long
	// as the user wants it to.
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("server %q: %w", target.Server, err)
	}
	restClient, err := rest.RESTClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("server %q: %w", target.Server, err)
	}
	return &Client{target: target, rest: restClient, http: httpClient}, nil
}

// Namespace is the namespace commands act in: -n, else the kubeconfig's.
func (c *Client) Namespace() string { return c.target.Namespace }

// Server names the API in messages, as configured.
func (c *Client) Server() string { return c.target.Server }

// into decodes a response into a new T; what names the object in errors.
func into[T any](result rest.Result, what string) (*T, error) {
	raw, err := body(result)
	if err != nil {
		return nil, err
	}
	obj := new(T)
	if err := json.Unmarshal(raw, obj); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", what, err)
	}
	return obj, nil
}

// body returns a response's body, or its error as the API Status the
// server sent (Raw alone gives a generic error for a failed request).
func body(result rest.Result) ([]byte, error) {
	raw, err := result.Raw()
	if err != nil {
		return nil, result.Error()
	}
	return raw, nil
}
