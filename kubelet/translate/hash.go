package translate

import (
	"encoding/json"
	"hash/fnv"
	"strconv"

	v1 "k8s.io/api/core/v1"
)

// ContainerHash fingerprints the parts of a container spec that need a new
// container when they change. A manifest edit already gives the pod a new
// UID, so the hash serves adoption: a restarted agent keeps a running
// container only if it was built from the spec it now reads. The input is
// the JSON of the whole container, whose encoding is stable for a given
// k8s.io/api version; a change to it restarts every container on upgrade,
// which TestContainerHashIsStable guards against.
func ContainerHash(c *v1.Container) string {
	data, err := json.Marshal(c)
	if err != nil {
		// A v1.Container always marshals; fall back to the name so the hash
		// still changes with the container rather than panicking.
		data = []byte(c.Name)
	}
	h := fnv.New32a()
	_, _ = h.Write(data)
	return strconv.FormatUint(uint64(h.Sum32()), 16)
}

// ContainerSpecHash fingerprints a container spec without its resources
// and resize policy: the parts whose change needs a new container.
// Resources change in place (an in-place resize, the pods/resize
// subresource), and whether that takes a restart is the resize policy's
// to say, not the hash's.
func ContainerSpecHash(c *v1.Container) string {
	withoutResources := *c
	withoutResources.Resources, withoutResources.ResizePolicy = v1.ResourceRequirements{}, nil
	return ContainerHash(&withoutResources)
}
