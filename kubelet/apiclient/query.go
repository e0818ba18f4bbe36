package apiclient

import (
	"k8s.io/client-go/rest"
)

// tableAccept asks for a server-side Table, as `kubectl get` does.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

// ListOptions select what a list or a watch returns.
type ListOptions struct {
	// Namespace is the namespace listed; "" lists every namespace.
	Namespace string
	// LabelSelector and FieldSelector filter as the API server's do
	// ("app=web", "metadata.name=web").
	LabelSelector, FieldSelector string
	// ResourceVersion is where a watch starts: a list's version continues
	// right after that list.
	ResourceVersion string
}

// listRequest is the GET that lists (or, with watch=true, watches) a
// resource of the core API.
func (c *Client) listRequest(resource string, opts ListOptions) *rest.Request {
	req := c.rest.Get().Resource(resource).
		Param("labelSelector", opts.LabelSelector).Param("fieldSelector", opts.FieldSelector)
	if opts.Namespace != "" {
		req = req.Namespace(opts.Namespace)
	}
	return req
}
