package translate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// A subPath is never handed to the runtime as <volume>/<subPath>: the
// kubelet package's host step opens it without following symlinks and
// bind-mounts what it opened (kubelet/subpath_bind.go). This file holds
// the pure part: which sub-path a mount asks for, and whether its spelling
// keeps it inside the volume.

// MaxSubPathLen bounds a sub-path after expansion; it is the kernel's
// PATH_MAX, so nothing longer could be opened anyway.
const MaxSubPathLen = 4096

// SubPath returns the sub-path a volume mount asks for and the name of the
// field it came from: subPath as written, or subPathExpr with the
// container's env expanded into it ("" when the mount has neither).
func SubPath(m *v1.VolumeMount, env func(string) (string, bool)) (path, field string, err error) {
	switch {
	case m.SubPath != "" && m.SubPathExpr != "":
		return "", "subPathExpr", errors.New("subPath and subPathExpr are mutually exclusive: keep one of them")
	case m.SubPathExpr != "":
		expanded, err := expandSubPathExpr(m.SubPathExpr, env)
		return expanded, "subPathExpr", err
	default:
		return m.SubPath, "subPath", nil
	}
}

// expandSubPathExpr replaces $(NAME) with the container's env var NAME, as
// the kubelet does: only env vars (downward-API fieldRef env included), and
// a reference to a variable that is unset or empty is an error rather than
// left as written, since it would name a directory nobody meant.
func expandSubPathExpr(expr string, env func(string) (string, bool)) (string, error) {
	var missing []string
	// Bounded while it expands: a reference to a large variable, repeated,
	// must not make the agent build a string far past any path.
	expanded, fits := expandWithin(expr, func(name string) (string, bool) {
		value, ok := env(name)
		if !ok || value == "" {
			if !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
			return "", true
		}
		return value, true
	}, MaxSubPathLen)
	if len(missing) > 0 {
		return "", fmt.Errorf("%q refers to %s, which the container's env does not set (or sets empty): add it to env, e.g. from a fieldRef",
			expr, strings.Join(missing, ", "))
	}
	if !fits {
		return "", fmt.Errorf("%q expands to more than the %d bytes a path may have: refer to shorter variables", expr, MaxSubPathLen)
	}
	return expanded, nil
}

// SubPathComponents splits a sub-path into the names to walk down from the
// volume root, refusing anything that could leave the volume by its
// spelling alone: an absolute path or a ".." component. Empty and "."
// components are dropped; none at all means the volume root itself.
func SubPathComponents(subPath string) ([]string, error) {
	switch {
	case len(subPath) > MaxSubPathLen:
		return nil, fmt.Errorf("is %d bytes long, more than the %d a path may have", len(subPath), MaxSubPathLen)
	case strings.IndexByte(subPath, 0) >= 0:
		return nil, fmt.Errorf("%q contains a NUL byte", subPath)
	case strings.HasPrefix(subPath, "/"):
		return nil, fmt.Errorf("%q is an absolute path: give a path relative to the volume root, e.g. %q", subPath, strings.TrimLeft(subPath, "/"))
	}
	var components []string
	for _, name := range strings.Split(subPath, "/") {
		switch name {
		case "", ".":
			continue
		case "..":
			return nil, fmt.Errorf("%q contains \"..\": a sub-path must stay inside the volume, so remove the \"..\" components", subPath)
		}
		components = append(components, name)
	}
	return components, nil
}

// VolumeMountField names volumeMounts[index] of the named container the
// way the manifest spells it, e.g. spec.initContainers[0].volumeMounts[1],
// so an error tells the author which line to fix.
func VolumeMountField(pod *v1.Pod, container string, index int) string {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == container {
			return fmt.Sprintf("spec.initContainers[%d].volumeMounts[%d]", i, index)
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == container {
			return fmt.Sprintf("spec.containers[%d].volumeMounts[%d]", i, index)
		}
	}
	return fmt.Sprintf("container %s volumeMounts[%d]", container, index)
}
