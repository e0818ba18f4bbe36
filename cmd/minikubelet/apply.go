package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
)

func newApplyCommand() *cobra.Command {
	var api apiFlags
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f FILE|-",
		Short: "Create pods, or replace the spec of those that exist",
		Long: `Apply creates each Pod in the file that does not exist, and replaces the
spec of each that does: the manifest that defines it is rewritten, and the
agent restarts the pod with the new spec. A pod whose spec is the same is
left alone ("unchanged").`,
		Example: `  minikubelet apply -f web.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return forEachManifestPod(cmd, &api, files, func(ctx context.Context, client *rest.RESTClient, doc manifestPod) error {
				outcome, err := applyPod(ctx, client, doc)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "pod/%s %s\n", doc.Name, outcome)
				return nil
			})
		},
	}
	api.bind(cmd.Flags())
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "manifest file, or - for standard input (repeatable)")
	return cmd
}

// applyPod creates the pod or replaces it, and says which happened.
func applyPod(ctx context.Context, client *rest.RESTClient, doc manifestPod) (string, error) {
	_, err := createPod(ctx, client, doc)
	if err == nil {
		return "created", nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	before, err := getPod(ctx, client, doc.Namespace, doc.Name)
	if err != nil {
		return "", err
	}
	raw, err := doRaw(client.Put().Namespace(doc.Namespace).Resource("pods").Name(doc.Name).
		SetHeader("Content-Type", "application/json").Body(doc.JSON).Do(ctx))
	if err != nil {
		return "", err
	}
	var after v1.Pod
	if err := json.Unmarshal(raw, &after); err != nil {
		return "", fmt.Errorf("decoding the replaced pod: %w", err)
	}
	// A static pod's UID is the hash of its spec: the same UID means the
	// server found nothing to change.
	if after.UID == before.UID {
		return "unchanged", nil
	}
	return "configured", nil
}
