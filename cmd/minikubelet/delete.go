package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// deleteFlags are the flags of `minikubelet delete`, kubectl's names.
type deleteFlags struct {
	api     apiFlags
	files   []string
	wait    bool
	timeout time.Duration
}

func newDeleteCommand() *cobra.Command {
	var flags deleteFlags
	cmd := &cobra.Command{
		Use:   "delete (pod NAME... | -f FILE)",
		Short: "Delete pods by removing the manifest that defines them",
		Long: `Delete asks the node API to remove the manifest file that defines each pod,
whichever file it is; the agent then stops the pod. By default it waits
until the pod is gone, as kubectl does (--wait=false returns at once).`,
		Example: `  minikubelet delete pod web
  minikubelet delete -f web.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			targets, err := flags.targets(cmd, args)
			if err != nil {
				return err
			}
			client, err := flags.api.client()
			if err != nil {
				return err
			}
			for _, target := range targets {
				if err := flags.deleteOne(cmd.Context(), client, target, cmd.OutOrStdout()); err != nil {
					return err
				}
			}
			return nil
		},
	}
	flags.api.bind(cmd.Flags())
	cmd.Flags().StringSliceVarP(&flags.files, "filename", "f", nil, "delete the pods this manifest defines (- for standard input)")
	cmd.Flags().BoolVar(&flags.wait, "wait", true, "wait until each pod is gone")
	cmd.Flags().DurationVar(&flags.timeout, "timeout", 2*time.Minute, "how long to wait for a pod to go")
	return cmd
}

// targets are the pods named on the command line or in the -f files.
func (fl deleteFlags) targets(cmd *cobra.Command, args []string) ([]types.NamespacedName, error) {
	var targets []types.NamespacedName
	for _, file := range fl.files {
		docs, err := readManifestPods(file, cmd.InOrStdin(), fl.api.namespace)
		if err != nil {
			return nil, err
		}
		for _, doc := range docs {
			targets = append(targets, types.NamespacedName{Namespace: doc.Namespace, Name: doc.Name})
		}
	}
	switch {
	case len(fl.files) > 0 && len(args) > 0:
		return nil, errors.New("give pod names or -f FILE, not both")
	case len(fl.files) == 0 && len(args) < 2:
		return nil, errors.New("give pod NAME... or -f FILE")
	case len(args) > 0:
		if err := checkPodsResource(args[0]); err != nil {
			return nil, err
		}
		for _, name := range args[1:] {
			targets = append(targets, types.NamespacedName{Namespace: fl.api.namespace, Name: name})
		}
	}
	return targets, nil
}

func (fl deleteFlags) deleteOne(ctx context.Context, client *rest.RESTClient, target types.NamespacedName, out io.Writer) error {
	raw, err := doRaw(client.Delete().Namespace(target.Namespace).Resource("pods").Name(target.Name).Do(ctx))
	if err != nil {
		return err
	}
	var pod v1.Pod
	if err := json.Unmarshal(raw, &pod); err != nil {
		return fmt.Errorf("decoding the deleted pod: %w", err)
	}
	fmt.Fprintf(out, "pod %q deleted from %s namespace\n", target.Name, target.Namespace)
	if !fl.wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, fl.timeout)
	defer cancel()
	if err := waitGone(ctx, client, target, pod.UID); err != nil {
		return fmt.Errorf("waiting for pod %s/%s to go: %w", target.Namespace, target.Name, err)
	}
	return nil
}

// waitGone watches the pod until it is deleted or replaced by another UID.
func waitGone(ctx context.Context, client *rest.RESTClient, target types.NamespacedName, uid types.UID) error {
	selector := "metadata.name=" + target.Name
	list, err := listPods(ctx, client, target.Namespace, "", selector)
	if err != nil {
		return err
	}
	if len(list.Items) == 0 || list.Items[0].UID != uid {
		return nil
	}
	stream, err := client.Get().Namespace(target.Namespace).Resource("pods").Param("watch", "true").
		Param("resourceVersion", list.ResourceVersion).Param("fieldSelector", selector).Stream(ctx)
	if err != nil {
		return err
	}
	defer stream.Close()
	decoder := json.NewDecoder(stream)
	for {
		var ev watchEvent
		if err := decoder.Decode(&ev); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		var pod v1.Pod
		_ = json.Unmarshal(ev.Object, &pod)
		switch {
		case ev.Type == "DELETED", pod.UID != "" && pod.UID != uid:
			return nil
		case ev.Type == "ERROR":
			return apierrors.NewInternalError(fmt.Errorf("watch error: %s", ev.Object))
		}
	}
}
