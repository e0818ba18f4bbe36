package translate

import v1 "k8s.io/api/core/v1"

// ResourceFieldValue is what the downward API shows of a container's
// request or limit: the same value in env and in a downwardAPI volume.
func ResourceFieldValue(c *v1.Container, ref *v1.ResourceFieldSelector) string {
	return resourceField(c, ref)
}
