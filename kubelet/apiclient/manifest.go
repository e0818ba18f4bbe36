package apiclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	v1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// maxManifestBytes bounds a file given with -f to what the agent accepts
// as one manifest file in its directory.
const maxManifestBytes = 10 << 20

// ManifestPod is one Pod document of a file given with -f.
type ManifestPod struct {
	Namespace, Name string
	// JSON is the document as the user wrote it, converted to JSON.
	JSON []byte
}

// ReadManifestPods splits a file ("-" for stdin) into its pod documents;
// a document without a namespace is in defaultNamespace.
func ReadManifestPods(file string, stdin io.Reader, defaultNamespace string) ([]ManifestPod, error) {
	data, err := readManifest(file, stdin)
	if err != nil {
		return nil, err
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var pods []ManifestPod
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
		pods = append(pods, ManifestPod{Namespace: ns, Name: head.Name, JSON: raw})
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("%s holds no pod", file)
	}
	return pods, nil
}

// readManifest reads at most maxManifestBytes of the file or of stdin; a
// nil stdin reads as empty.
func readManifest(file string, stdin io.Reader) ([]byte, error) {
	in := stdin
	if in == nil {
		in = bytes.NewReader(nil)
	}
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("reading the manifest: %w", err)
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(io.LimitReader(in, maxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("%s: over %d MiB: a manifest the agent accepts is at most that; split the pods into several files", file, maxManifestBytes>>20)
	}
	return data, nil
}
