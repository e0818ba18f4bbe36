package volume

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxImageReferenceLength bounds an image volume's reference. The longest
// valid one is a 255-character name, a 128-character tag and a sha512
// digest (about 530 characters); anything past this is not an image name.
const MaxImageReferenceLength = 1024

// imagePullPolicies are the pull policies an image volume may have; the API
// server (and the static-pod defaulting) fills in an empty one.
var imagePullPolicies = []v1.PullPolicy{v1.PullAlways, v1.PullIfNotPresent, v1.PullNever}

// image mounts the files of an OCI image, read-only. The agent pulls the
// image as it pulls a container's (pull policy, the pod's pull secrets,
// back-off) and the runtime mounts it (the CRI Mount's image field): there
// is nothing on the host, so SetUp is never the way to it (volumeMounts in
// package kubelet builds its mounts).
type image struct{}

func (image) Name() string                     { return "image" }
func (image) Has(source *v1.VolumeSource) bool { return source.Image != nil }
func (image) TearDown(string) error            { return nil }

func (image) Check(source *v1.VolumeSource, path *field.Path) []Problem {
	var problems []Problem
	ref := source.Image.Reference
	refPath := path.Child("image", "reference")
	switch {
	case ref == "":
		problems = append(problems, required(refPath, `the image whose files the volume holds, e.g. "registry.example/data:1.0"`))
	case len(ref) > MaxImageReferenceLength:
		problems = append(problems, Problem{Err: field.TooLong(refPath, "", MaxImageReferenceLength),
			Message: fmt.Sprintf("%s: is %d characters long, more than the %d an image reference may have; give the image's name, tag or digest",
				refPath, len(ref), MaxImageReferenceLength)})
	case strings.TrimSpace(ref) != ref || strings.ContainsAny(ref, " \t\n\r\x00"):
		problems = append(problems, invalid(refPath, ref, "must not contain spaces or control characters; give the image's name, e.g. \"registry.example/data:1.0\""))
	}
	if policy := source.Image.PullPolicy; policy != "" && !slices.Contains(imagePullPolicies, policy) {
		problems = append(problems, notSupported(path.Child("image", "pullPolicy"), policy, imagePullPolicies))
	}
	return problems
}

// errImageOnHost is SetUp's answer: an image volume has no host side, and
// handing the runtime an empty host path would start the container
// without the volume's files.
var errImageOnHost = errors.New("an image volume has no host directory: the runtime mounts the image itself")

func (image) SetUp(context.Context, *v1.Pod, *v1.Volume, Host) (string, error) {
	return "", errImageOnHost
}

// imageRuntimes are the runtimes known to mount image volumes, by the name
// their CRI Version call gives, from the version (major, minor) that does.
// Older ones do not know the CRI Mount's image field.
var imageRuntimes = map[string][2]int{
	"containerd": {2, 1},
	"cri-o":      {1, 31},
}

// RuntimeMountsImages says why the runtime, by the name and version its
// CRI Version call gives, cannot mount image volumes, or nil when it can.
// A runtime the agent does not know is trusted to refuse what it cannot
// do; a known one too old for the field would not.
func RuntimeMountsImages(name, version string) error {
	least, known := imageRuntimes[name]
	if !known {
		return nil
	}
	major, minor, ok := majorMinor(version)
	if ok && (major > least[0] || major == least[0] && minor >= least[1]) {
		return nil
	}
	return fmt.Errorf("this node's runtime, %s %s, cannot mount image volumes (%s mounts them from %d.%d): "+
		"upgrade the runtime, or put the files in the container's image or another volume", name, version, name, least[0], least[1])
}

// majorMinor reads "v2.4.2", "1.31.0" or "2.1.0-rc.1".
func majorMinor(version string) (major, minor int, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	_, err1 := fmt.Sscanf(parts[0], "%d", &major)
	_, err2 := fmt.Sscanf(parts[1], "%d", &minor)
	return major, minor, err1 == nil && err2 == nil
}
