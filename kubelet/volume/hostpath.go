package volume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// hostPath mounts a file or directory of the node. Its type, when given,
// is checked (and *OrCreate created) at every container start.
type hostPath struct{}

func (hostPath) Name() string                     { return "hostPath" }
func (hostPath) Has(source *v1.VolumeSource) bool { return source.HostPath != nil }
func (hostPath) TearDown(string) error            { return nil }

// hostPathTypes are the types a hostPath may have.
var hostPathTypes = []v1.HostPathType{v1.HostPathUnset, v1.HostPathDirectoryOrCreate, v1.HostPathDirectory,
	v1.HostPathFileOrCreate, v1.HostPathFile, v1.HostPathSocket, v1.HostPathCharDev, v1.HostPathBlockDev}

func (hostPath) Check(source *v1.VolumeSource, path *field.Path) []Problem {
	var problems []Problem
	if source.HostPath.Path == "" {
		problems = append(problems, required(path.Child("hostPath", "path"), "the host directory or file to mount"))
	}
	if kind := source.HostPath.Type; kind != nil && !slices.Contains(hostPathTypes, *kind) {
		problems = append(problems, notSupported(path.Child("hostPath", "type"), *kind, hostPathTypes))
	}
	return problems
}

func (hostPath) SetUp(_ context.Context, _ *v1.Pod, vol *v1.Volume, _ Host) (string, error) {
	return vol.HostPath.Path, checkHostPath(vol.HostPath)
}

// checkHostPath applies hostPath's type: create what *OrCreate asks for,
// and refuse a path that is not what the type says.
func checkHostPath(hp *v1.HostPathVolumeSource) error {
	kind := v1.HostPathUnset
	if hp.Type != nil {
		kind = *hp.Type
	}
	info, err := os.Stat(hp.Path)
	missing := errors.Is(err, os.ErrNotExist)
	if err != nil && !missing {
		return fmt.Errorf("hostPath %s: %w", hp.Path, err)
	}
	switch kind {
	case v1.HostPathUnset:
		return nil
	case v1.HostPathDirectoryOrCreate:
		if missing {
			return os.MkdirAll(hp.Path, 0o755)
		}
		return expectType(hp.Path, info.IsDir(), "a directory")
	case v1.HostPathFileOrCreate:
		if missing {
			return createFile(hp.Path)
		}
		return expectType(hp.Path, info.Mode().IsRegular(), "a file")
	}
	if missing {
		return fmt.Errorf("hostPath %s does not exist (type %s requires it); create it or use type DirectoryOrCreate/FileOrCreate", hp.Path, kind)
	}
	switch kind {
	case v1.HostPathDirectory:
		return expectType(hp.Path, info.IsDir(), "a directory")
	case v1.HostPathFile:
		return expectType(hp.Path, info.Mode().IsRegular(), "a file")
	case v1.HostPathSocket:
		return expectType(hp.Path, info.Mode()&os.ModeSocket != 0, "a socket")
	case v1.HostPathCharDev:
		return expectType(hp.Path, info.Mode()&os.ModeCharDevice != 0, "a character device")
	case v1.HostPathBlockDev:
		return expectType(hp.Path, info.Mode()&os.ModeDevice != 0 && info.Mode()&os.ModeCharDevice == 0, "a block device")
	}
	return nil
}

func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

func expectType(path string, ok bool, what string) error {
	if !ok {
		return fmt.Errorf("hostPath %s is not %s", path, what)
	}
	return nil
}
