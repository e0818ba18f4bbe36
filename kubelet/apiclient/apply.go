package apiclient

import (
	"context"
	"fmt"
	"maps"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Apply creates each pod of the files that does not exist and replaces
// the spec of each that does, printing which ("created", "configured",
// "unchanged").
func Apply(ctx context.Context, conn Connection, opts ManifestOptions) error {
	return forEachManifestPod(ctx, conn, opts, func(ctx context.Context, client *Client, doc ManifestPod) error {
		outcome, err := applyPod(ctx, client, doc)
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.Stdout, "pod/%s %s\n", doc.Name, outcome)
		return nil
	})
}

// applyPod creates the pod or replaces it, and says which happened.
func applyPod(ctx context.Context, client *Client, doc ManifestPod) (string, error) {
	_, err := client.CreatePod(ctx, doc)
	if err == nil {
		return "created", nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	before, err := client.GetPod(ctx, doc.Namespace, doc.Name)
	if err != nil {
		return "", err
	}
	after, err := client.ReplacePod(ctx, doc)
	if err != nil {
		return "", err
	}
	// A static pod's UID is the hash of its spec: the same UID and the same
	// labels and annotations (which a change keeps the UID through) mean
	// the server found nothing to change.
	if after.UID == before.UID && maps.Equal(after.Labels, before.Labels) && maps.Equal(after.Annotations, before.Annotations) {
		return "unchanged", nil
	}
	return "configured", nil
}
