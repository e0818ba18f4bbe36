package volume

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// emptyDirsDir is where a pod's emptyDir volumes live in its directory,
// named as the kubelet names them.
const emptyDirsDir = "volumes/kubernetes.io~empty-dir"

// emptyDir is a directory that lives as long as the pod: every container
// that mounts it sees the same files, which is how containers of a pod
// share them. medium Memory makes it a tmpfs.
type emptyDir struct{}

func (emptyDir) Name() string                     { return "emptyDir" }
func (emptyDir) Has(source *v1.VolumeSource) bool { return source.EmptyDir != nil }
func (emptyDir) TearDown(podDir string) error     { return unmountMemoryDirs(podDir) }

// EmptyDirPath is where the pod's emptyDir volume lives on the host.
func EmptyDirPath(podDir, volume string) string { return filepath.Join(podDir, emptyDirsDir, volume) }

// emptyDirMedia are the media an emptyDir may have.
var emptyDirMedia = []v1.StorageMedium{v1.StorageMediumDefault, v1.StorageMediumMemory}

// Check accepts the default medium and Memory; hugepages need a hugetlbfs
// mount the node has not set up, so they are refused, not ignored.
func (emptyDir) Check(source *v1.VolumeSource, path *field.Path) []Problem {
	var problems []Problem
	if medium := source.EmptyDir.Medium; medium != v1.StorageMediumDefault && medium != v1.StorageMediumMemory {
		problems = append(problems, notSupported(path.Child("emptyDir", "medium"), medium, emptyDirMedia))
	}
	if limit := source.EmptyDir.SizeLimit; limit != nil && limit.Sign() < 0 {
		problems = append(problems, invalid(path.Child("emptyDir", "sizeLimit"), limit.String(), "must not be negative"))
	}
	return problems
}

// SetUp creates the directory (a tmpfs for medium Memory, sized by
// sizeLimit) writable by every user, or with a pod fsGroup owned by that
// group with the setgid bit, so files created in it belong to the group.
func (e emptyDir) SetUp(_ context.Context, pod *v1.Pod, vol *v1.Volume, host Host) (string, error) {
	dir := EmptyDirPath(host.PodDir, vol.Name)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", fmt.Errorf("creating emptyDir %s: %w", dir, err)
	}
	if vol.EmptyDir.Medium == v1.StorageMediumMemory {
		if err := mountMemory(dir, vol.EmptyDir.SizeLimit); err != nil {
			return "", fmt.Errorf("emptyDir %q of medium Memory: %w", vol.Name, err)
		}
	}
	return dir, applyFSGroup(pod, dir)
}

// applyFSGroup makes the directory world-writable like the kubelet's, and
// with a pod fsGroup also group-owned and setgid: the kubelet adds the
// fsGroup bits to the mode (SetVolumeOwnership), it takes none away, so a
// tmpfs root keeps its sticky bit (and a subPath created in it gets it).
func applyFSGroup(pod *v1.Pod, dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("reading the mode of emptyDir %s: %w", dir, err)
	}
	mode := 0o777 | info.Mode()&os.ModeSticky
	if sc := pod.Spec.SecurityContext; sc != nil && sc.FSGroup != nil {
		if err := os.Chown(dir, -1, int(*sc.FSGroup)); err != nil {
			return fmt.Errorf("giving emptyDir %s to fsGroup %d: %w", dir, *sc.FSGroup, err)
		}
		mode |= os.ModeSetgid
	}
	if err := os.Chmod(dir, mode); err != nil {
		return fmt.Errorf("setting the mode of emptyDir %s: %w", dir, err)
	}
	return nil
}

// unmountMemoryDirs takes down every tmpfs among the pod's emptyDirs,
// whatever the spec says now: after an agent restart the spec may be gone.
func unmountMemoryDirs(podDir string) error {
	entries, err := os.ReadDir(filepath.Join(podDir, emptyDirsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing emptyDir volumes: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if err := unmountIfMounted(filepath.Join(podDir, emptyDirsDir, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
