package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// GetOptions are the inputs of `get`, with kubectl's meanings.
type GetOptions struct {
	// Resource is what to get: pods (or pod, po) or events (event, ev).
	Resource string
	// Names are the objects to show; none shows every one the selectors
	// select.
	Names []string
	// Output is "" (a table), "wide", "yaml", "json" or "name".
	Output string
	// Watch keeps printing a row for every change after the table.
	Watch bool
	// AllNamespaces lists every namespace instead of the client's.
	AllNamespaces bool
	// Selector is a label selector such as "app=web,tier!=db".
	Selector string
	// FieldSelector selects by fields, such as
	// "involvedObject.name=web" for events.
	FieldSelector string
	// Stdout receives what is asked for; Stderr the "No resources" note.
	Stdout, Stderr io.Writer
}

// check rejects options that mean nothing, before any request.
func (o GetOptions) check() error {
	if _, err := listedResource(o.Resource); err != nil {
		return err
	}
	switch o.Output {
	case "", "wide", "yaml", "json", "name":
	default:
		return fmt.Errorf("--output %q: use wide, yaml, json or name", o.Output)
	}
	if o.AllNamespaces && len(o.Names) > 0 {
		return errors.New("a pod name cannot be combined with --all-namespaces: give -n NAMESPACE instead")
	}
	return nil
}

// Get prints pods or events as `kubectl get` does.
func Get(ctx context.Context, conn Connection, opts GetOptions) error {
	if err := opts.check(); err != nil {
		return err
	}
	resource, _ := listedResource(opts.Resource)
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	if opts.Output == "" || opts.Output == "wide" {
		return getTable(ctx, client, resource, opts)
	}
	objects, err := getObjects(ctx, client, resource, opts)
	if err != nil {
		return err
	}
	return printObjects(opts.Stdout, opts.Output, singular(resource), objects, len(opts.Names) == 1)
}

// namespace is the namespace listed: "" for all.
func (o GetOptions) namespace(client *Client) string {
	if o.AllNamespaces {
		return ""
	}
	return client.Namespace()
}

// getObjects fetches the named objects, or those the selectors select.
func getObjects(ctx context.Context, client *Client, resource string, opts GetOptions) ([]namedObject, error) {
	var objects []namedObject
	for _, name := range opts.Names {
		obj, err := into[namedObject](client.rest.Get().Namespace(client.Namespace()).Resource(resource).Name(name).Do(ctx), singular(resource)+" "+name)
		if err != nil {
			return nil, err
		}
		objects = append(objects, *obj)
	}
	if len(opts.Names) > 0 {
		return objects, nil
	}
	query := ListOptions{Namespace: opts.namespace(client), LabelSelector: opts.Selector, FieldSelector: opts.FieldSelector}
	list, err := into[struct{ Items []namedObject }](client.listRequest(resource, query).Do(ctx), "the "+resource)
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}
