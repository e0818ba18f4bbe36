package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// DiffOptions are the inputs of `diff`.
type DiffOptions struct {
	ManifestOptions
	// Stderr receives diff's own complaints.
	Stderr io.Writer
}

// Diff shows what apply would change, as `kubectl diff` does: each pod
// of the files is sent as a dry run, and the pod as served now is
// compared with the answer by `diff -u -N`. It returns nil when nothing
// would change and an *ExitCodeError with code 1 when something would, so
// the command exits as kubectl diff does.
func Diff(ctx context.Context, conn Connection, opts DiffOptions) error {
	dir, err := os.MkdirTemp("", "minikubelet-diff-")
	if err != nil {
		return fmt.Errorf("creating the diff's directory: %w", err)
	}
	defer os.RemoveAll(dir)
	live, merged := filepath.Join(dir, "LIVE"), filepath.Join(dir, "MERGED")
	for _, d := range []string{live, merged} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("creating the diff's directory: %w", err)
		}
	}
	err = forEachManifestPod(ctx, conn, opts.ManifestOptions, func(ctx context.Context, client *Client, doc ManifestPod) error {
		before, after, err := dryRunApply(ctx, client, doc)
		if err != nil {
			return err
		}
		name := "v1.Pod." + doc.Namespace + "." + doc.Name
		if err := writeDiffSide(filepath.Join(live, name), before); err != nil {
			return err
		}
		return writeDiffSide(filepath.Join(merged, name), after)
	})
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "diff", "-u", "-N", live, merged)
	cmd.Stdout, cmd.Stderr = opts.Stdout, opts.Stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 1:
		return &ExitCodeError{Code: 1, Silent: true}
	case errors.Is(err, exec.ErrNotFound):
		return errors.New("diff needs the diff program (apt-get install diffutils)")
	}
	return fmt.Errorf("running diff: %w", err)
}

// dryRunApply returns the pod as served now (nil when it does not exist)
// and as it would be after apply, from the server's dry run.
func dryRunApply(ctx context.Context, client *Client, doc ManifestPod) (before, after map[string]any, err error) {
	current, err := body(client.rest.Get().Namespace(doc.Namespace).Resource("pods").Name(doc.Name).Do(ctx))
	if apierrors.IsNotFound(err) {
		req := client.rest.Post().Namespace(doc.Namespace).Resource("pods").Param("dryRun", metav1.DryRunAll)
		created, err := body(req.SetHeader("Content-Type", "application/json").Body(doc.JSON).Do(ctx))
		if err != nil {
			return nil, nil, err
		}
		after, err := comparable(created)
		return nil, after, err
	}
	if err != nil {
		return nil, nil, err
	}
	req := client.rest.Put().Namespace(doc.Namespace).Resource("pods").Name(doc.Name).Param("dryRun", metav1.DryRunAll)
	replaced, err := body(req.SetHeader("Content-Type", "application/json").Body(doc.JSON).Do(ctx))
	if err != nil {
		return nil, nil, err
	}
	if before, err = comparable(current); err == nil {
		after, err = comparable(replaced)
	}
	return before, after, err
}

// comparable is a pod as diff shows it: without the fields that change at
// every read (managed fields, the generation), as kubectl diff shows it.
func comparable(data []byte) (map[string]any, error) {
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("decoding the pod: %w", err)
	}
	if meta, ok := obj["metadata"].(map[string]any); ok {
		delete(meta, "managedFields")
		delete(meta, "generation")
	}
	return obj, nil
}

// writeDiffSide writes one side of the comparison as YAML; a pod that
// does not exist is no file, as diff -N expects.
func writeDiffSide(path string, obj map[string]any) error {
	if obj == nil {
		return nil
	}
	text, err := yaml.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding the pod for diff: %w", err)
	}
	return os.WriteFile(path, text, 0o600)
}
