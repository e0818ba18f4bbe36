package translate

import v1 "k8s.io/api/core/v1"

// ResourceFieldValue is what the downward API shows of a container's
// request or limit: the same value in env and in a downwardAPI volume.
// A limit the container does not set is the node's allocatable.
func ResourceFieldValue(c *v1.Container, ref *v1.ResourceFieldSelector, allocatable v1.ResourceList) string {
	return resourceField(c, ref, allocatable)
}
