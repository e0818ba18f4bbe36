package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
)

func newCreateCommand() *cobra.Command {
	var api apiFlags
	var files []string
	cmd := &cobra.Command{
		Use:   "create -f FILE|-",
		Short: "Create pods from a manifest; the node API writes it into the manifest directory",
		Long: `Create sends each Pod in the file (YAML or JSON, several separated by ---) to
the node API, which validates it exactly as a manifest and writes it as
<namespace>_<name>.yaml into the manifest directory. A pod that exists is an
error; use apply to replace it.`,
		Example: `  minikubelet create -f web.yaml
  cat web.yaml | minikubelet create -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return forEachManifestPod(cmd, &api, files, func(ctx context.Context, client *rest.RESTClient, doc manifestPod) error {
				if _, err := createPod(ctx, client, doc); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "pod/%s created\n", doc.Name)
				return nil
			})
		},
	}
	api.bind(cmd.Flags())
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "manifest file, or - for standard input (repeatable)")
	return cmd
}

// manifestPod is one Pod document of a file given with -f.
type manifestPod struct {
	Namespace, Name string
	// JSON is the document as the user wrote it, converted to JSON.
	JSON []byte
}

// forEachManifestPod reads the -f files and calls do for each pod, in
// order, stopping at the first error, which names the file.
func forEachManifestPod(cmd *cobra.Command, api *apiFlags, files []string, do func(context.Context, *rest.RESTClient, manifestPod) error) error {
	if len(files) == 0 {
		return errors.New("give a manifest with -f FILE (or -f - for standard input)")
	}
	client, err := api.client()
	if err != nil {
		return err
	}
	for _, file := range files {
		docs, err := readManifestPods(file, cmd.InOrStdin(), api.namespace)
		if err != nil {
			return err
		}
		for _, doc := range docs {
			if err := do(cmd.Context(), client, doc); err != nil {
				return fmt.Errorf("%s: pod %s/%s: %w", file, doc.Namespace, doc.Name, err)
			}
		}
	}
	return nil
}

// readManifestPods splits a file into its pod documents.
func readManifestPods(file string, stdin io.Reader, defaultNamespace string) ([]manifestPod, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var pods []manifestPod
	for i := 1; ; i++ {
		var raw json.RawMessage
		if err := decoder.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
			continue
		}
		var head v1.Pod
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if head.Kind != "Pod" {
			return nil, fmt.Errorf("%s: document %d is a %q: the node API serves only kind: Pod", file, i, head.Kind)
		}
		ns := head.Namespace
		if ns == "" {
			ns = defaultNamespace
		}
		pods = append(pods, manifestPod{Namespace: ns, Name: head.Name, JSON: raw})
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("%s holds no pod", file)
	}
	return pods, nil
}

// createPod POSTs a pod document as written.
func createPod(ctx context.Context, client *rest.RESTClient, doc manifestPod) (*v1.Pod, error) {
	raw, err := doRaw(client.Post().Namespace(doc.Namespace).Resource("pods").
		SetHeader("Content-Type", "application/json").Body(doc.JSON).Do(ctx))
	if err != nil {
		return nil, err
	}
	var pod v1.Pod
	if err := json.Unmarshal(raw, &pod); err != nil {
		return nil, fmt.Errorf("decoding the created pod: %w", err)
	}
	return &pod, nil
}
