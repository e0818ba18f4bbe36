package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// DeleteOptions are the inputs of `delete`: pods by name, or those the
// files define.
type DeleteOptions struct {
	// Resource is pods (or pod, po) when Names are given.
	Resource string
	Names    []string
	// Files are -f manifests whose pods to delete; "-" reads Stdin.
	Files []string
	Stdin io.Reader
	// Wait waits until each pod is gone, for at most Timeout each.
	Wait    bool
	Timeout time.Duration
	Stdout  io.Writer
}

// check rejects options that mean nothing, before any request.
func (o DeleteOptions) check() error {
	named := o.Resource != "" || len(o.Names) > 0
	switch {
	case len(o.Files) > 0 && named:
		return errors.New("give pod names or -f FILE, not both")
	case len(o.Files) == 0 && len(o.Names) == 0:
		return errors.New("give pod NAME... or -f FILE")
	case named:
		return checkPodsResource(o.Resource)
	}
	return nil
}

// Delete asks the node API to remove the manifest that defines each pod
// and, with Wait, waits until the agent has stopped it.
func Delete(ctx context.Context, conn Connection, opts DeleteOptions) error {
	if err := opts.check(); err != nil {
		return err
	}
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	targets, err := opts.targets(client.Namespace())
	if err != nil {
		return err
	}
	for _, target := range targets {
		if err := deleteOne(ctx, client, target, opts); err != nil {
			return err
		}
	}
	return nil
}

// targets are the pods named or defined in the files.
func (o DeleteOptions) targets(namespace string) ([]types.NamespacedName, error) {
	var targets []types.NamespacedName
	for _, file := range o.Files {
		docs, err := ReadManifestPods(file, o.Stdin, namespace)
		if err != nil {
			return nil, err
		}
		for _, doc := range docs {
			targets = append(targets, types.NamespacedName{Namespace: doc.Namespace, Name: doc.Name})
		}
	}
	for _, name := range o.Names {
		targets = append(targets, types.NamespacedName{Namespace: namespace, Name: name})
	}
	return targets, nil
}

func deleteOne(ctx context.Context, client *Client, target types.NamespacedName, opts DeleteOptions) error {
	pod, err := client.DeletePod(ctx, target.Namespace, target.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Stdout, "pod %q deleted from %s namespace\n", target.Name, target.Namespace)
	if !opts.Wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := waitGone(ctx, client, target, pod.UID); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("still there after --timeout %s: %w", opts.Timeout, err)
		}
		return fmt.Errorf("waiting for pod %s/%s to go: %w", target.Namespace, target.Name, err)
	}
	return nil
}
