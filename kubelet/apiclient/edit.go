package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"
)

// editHeader opens the file the editor shows, as kubectl's does.
const editHeader = `# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If the node API refuses the change,
# the edited file is kept and named in the error.
#
`

// EditOptions are the inputs of `edit`, with kubectl's meanings.
type EditOptions struct {
	// Resource is pod (or pods, po); Name the pod.
	Resource, Name string
	// Output is the format shown in the editor: yaml (default) or json.
	Output string
	// Editor is the command to run, with the file appended: $KUBE_EDITOR,
	// else $EDITOR, else vi. It runs through sh, so it may carry flags.
	Editor string
	// RunEditor runs Editor on the file; nil runs it through sh with the
	// terminal's standard streams (Stdin, Stdout, Stderr).
	RunEditor      func(ctx context.Context, editor, file string) error
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Edit opens a pod in an editor and sends what changed as a strategic
// merge patch, as `kubectl edit` does; the agent writes the change into
// the pod's manifest.
func Edit(ctx context.Context, conn Connection, opts EditOptions) error {
	if err := checkPodsResource(opts.Resource); err != nil {
		return err
	}
	if opts.Name == "" {
		return errors.New("edit needs a pod: minikubelet edit pod NAME")
	}
	if opts.Output == "" {
		opts.Output = "yaml"
	}
	if opts.Output != "yaml" && opts.Output != "json" {
		return fmt.Errorf("--output %q: use yaml or json", opts.Output)
	}
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	original, err := body(client.rest.Get().Namespace(client.Namespace()).Resource("pods").Name(opts.Name).Do(ctx))
	if err != nil {
		return err
	}
	edited, file, err := editInEditor(ctx, opts, original)
	if err != nil {
		return err
	}
	patch, err := editPatch(original, edited)
	if errors.Is(err, errNoEdit) {
		os.Remove(file)
		fmt.Fprintln(opts.Stdout, "Edit cancelled, no changes made.")
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w; your edit is kept in %s", err, file)
	}
	req := client.rest.Patch(types.StrategicMergePatchType).Namespace(client.Namespace()).Resource("pods").Name(opts.Name).Body(patch)
	if _, err := body(req.Do(ctx)); err != nil {
		return fmt.Errorf("%w; your edit is kept in %s", err, file)
	}
	os.Remove(file)
	fmt.Fprintf(opts.Stdout, "pod/%s edited\n", opts.Name)
	return nil
}

// errNoEdit means the editor changed nothing, or emptied the file.
var errNoEdit = errors.New("no change")

// editInEditor writes the pod into a private temporary file, runs the
// editor on it and returns what it holds afterwards, as JSON.
func editInEditor(ctx context.Context, opts EditOptions, original []byte) ([]byte, string, error) {
	shown, err := editText(original, opts.Output)
	if err != nil {
		return nil, "", err
	}
	f, err := os.CreateTemp("", "minikubelet-edit-*."+opts.Output)
	if err != nil {
		return nil, "", fmt.Errorf("creating the file to edit: %w", err)
	}
	file := f.Name()
	_, err = f.Write(shown)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(file)
		return nil, "", fmt.Errorf("writing %s: %w", file, err)
	}
	run := opts.RunEditor
	if run == nil {
		run = shellEditor(opts)
	}
	if err := run(ctx, opts.Editor, file); err != nil {
		return nil, "", fmt.Errorf("the editor %q failed: %w; your edit is kept in %s", opts.Editor, err, file)
	}
	data, err := readManifest(file, nil)
	if err != nil {
		return nil, "", err
	}
	text := stripComments(data)
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, file, nil // an emptied file cancels
	}
	edited, err := yaml.YAMLToJSON(text)
	if err != nil {
		return nil, "", fmt.Errorf("the edited pod is not valid %s: %w; your edit is kept in %s", strings.ToUpper(opts.Output), err, file)
	}
	return edited, file, nil
}

// editText is the pod as the editor shows it: the header, then the pod
// in the chosen format.
func editText(original []byte, format string) ([]byte, error) {
	var doc bytes.Buffer
	doc.WriteString(editHeader)
	var err error
	if format == "json" {
		err = json.Indent(&doc, original, "", "    ")
		doc.WriteByte('\n')
	} else {
		var text []byte
		if text, err = yaml.JSONToYAML(original); err == nil {
			doc.Write(text)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("formatting the pod for the editor: %w", err)
	}
	return doc.Bytes(), nil
}

// stripComments drops the lines that begin with '#', which JSON does not
// allow and the header is made of.
func stripComments(data []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("#")) {
			continue
		}
		out.Write(line)
	}
	return out.Bytes()
}

// editPatch is the strategic merge patch from the pod as fetched to the
// edited one; like kubectl, it refuses an edit of the pod's kind, version
// or name, which would be another object.
func editPatch(original, edited []byte) ([]byte, error) {
	if edited == nil {
		return nil, errNoEdit
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(original, edited, &v1.Pod{},
		mergepatch.RequireKeyUnchanged("apiVersion"), mergepatch.RequireKeyUnchanged("kind"), mergepatch.RequireMetadataKeyUnchanged("name"))
	if mergepatch.IsPreconditionFailed(err) {
		return nil, errors.New("the edit changes the pod's apiVersion, kind or name, which would make it another object: edit those by deleting the pod and creating it again")
	}
	if err != nil {
		return nil, fmt.Errorf("comparing the edited pod with the original: %w", err)
	}
	if string(patch) == "{}" {
		return nil, errNoEdit
	}
	return patch, nil
}

// shellEditor runs the editor through sh with the terminal's streams, so
// EDITOR="code --wait" works as it does for kubectl.
func shellEditor(opts EditOptions) func(ctx context.Context, editor, file string) error {
	return func(ctx context.Context, editor, file string) error {
		cmd := exec.CommandContext(ctx, "sh", "-c", editor+` "$1"`, "sh", file)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.Stdin, opts.Stdout, opts.Stderr
		return cmd.Run()
	}
}
