package volume

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// defaultFileMode is the mode of a projected file whose volume and item
// set none (the API server defaults defaultMode to it as well).
const defaultFileMode = 0o644

// A Payload is what an API-backed volume holds: files by their path
// relative to the volume, each with its content and mode.
type Payload map[string]File

// File is one file of a payload.
type File struct {
	Data []byte
	Mode int32
}

// keyItems maps an object's keys (data) to files: every key as a file of
// its name, or, with items, only the keys they name at their paths. A
// key an item names that is missing is an error unless optional, which
// the kubelet reports the same way. kind names the object for the error.
func keyItems(kind, name string, data map[string][]byte, items []v1.KeyToPath, mode int32, optional bool) (Payload, error) {
	payload := Payload{}
	if len(items) == 0 {
		for _, key := range slices.Sorted(maps.Keys(data)) {
			payload[key] = File{Data: data[key], Mode: mode}
		}
		return payload, nil
	}
	for _, item := range items {
		value, ok := data[item.Key]
		if !ok {
			if optional {
				continue
			}
			return nil, fmt.Errorf("%s %q has no key %q (named in items); add the key, or set optional: true", kind, name, item.Key)
		}
		fileMode := mode
		if item.Mode != nil {
			fileMode = *item.Mode
		}
		payload[item.Path] = File{Data: value, Mode: fileMode}
	}
	return payload, nil
}

// configMapData is a ConfigMap's data and binaryData as one map.
func configMapData(cm *v1.ConfigMap) map[string][]byte {
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	maps.Copy(data, cm.BinaryData)
	return data
}

// modeOr is *mode, or the default when unset.
func modeOr(mode *int32) int32 {
	if mode == nil {
		return defaultFileMode
	}
	return *mode
}

// merge adds from's files to into; two sources writing one path is an
// error, as it is in the kubelet's projected volumes.
func merge(into, from Payload) error {
	for p, f := range from {
		if _, ok := into[p]; ok {
			return fmt.Errorf("two sources write %q; give one of them another path", p)
		}
		into[p] = f
	}
	return nil
}

// checkPaths refuses a payload path that could leave the volume or hide
// the writer's own entries: absolute, with a ".." element, or starting
// with "..". The API server validates these too; the agent does not
// rely on it.
func checkPaths(payload Payload) error {
	for p := range payload {
		switch {
		case p == "" || path.IsAbs(p):
			return fmt.Errorf("file path %q must be relative and not empty", p)
		case strings.HasPrefix(p, ".."):
			return fmt.Errorf("file path %q must not start with \"..\"", p)
		case slices.Contains(strings.Split(p, "/"), ".."):
			return fmt.Errorf("file path %q must not contain \"..\"", p)
		case slices.ContainsFunc(strings.Split(p, "/"), func(e string) bool { return e == "" || e == "." }):
			// "." would name the volume's version directory itself.
			return fmt.Errorf("file path %q must name a file: no \".\" or empty elements", p)
		case path.Clean(p) != p:
			return fmt.Errorf("file path %q must be clean (no \"//\", \"./\" or trailing \"/\")", p)
		}
	}
	return nil
}
