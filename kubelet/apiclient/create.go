package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ManifestOptions are the inputs of `create` and `apply`.
type ManifestOptions struct {
	// Files are the -f manifests, in order; "-" reads Stdin.
	Files  []string
	Stdin  io.Reader
	Stdout io.Writer
}

// Create sends each pod of the files to the node API, which writes it
// into the manifest directory; a pod that exists is an error.
func Create(ctx context.Context, conn Connection, opts ManifestOptions) error {
	return forEachManifestPod(ctx, conn, opts, func(ctx context.Context, client *Client, doc ManifestPod) error {
		if _, err := client.CreatePod(ctx, doc); err != nil {
			return err
		}
		fmt.Fprintf(opts.Stdout, "pod/%s created\n", doc.Name)
		return nil
	})
}

// forEachManifestPod reads the files and calls do for each pod, in order,
// stopping at the first error, which names the file and the pod.
func forEachManifestPod(ctx context.Context, conn Connection, opts ManifestOptions, do func(context.Context, *Client, ManifestPod) error) error {
	if len(opts.Files) == 0 {
		return errors.New("give a manifest with -f FILE (or -f - for standard input)")
	}
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	for _, file := range opts.Files {
		docs, err := ReadManifestPods(file, opts.Stdin, client.Namespace())
		if err != nil {
			return err
		}
		for _, doc := range docs {
			if err := do(ctx, client, doc); err != nil {
				return fmt.Errorf("%s: pod %s/%s: %w", file, doc.Namespace, doc.Name, err)
			}
		}
	}
	return nil
}
