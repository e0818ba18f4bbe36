package translate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podField is the downward API's value of a fieldRef, as the kubelet's
// podFieldSelectorRuntimeValue gives it to env.
func podField(node Node, pod *v1.Pod, path string, podIPs []string) (string, error) {
	if value, ok, err := MetadataField(pod, path); ok || err != nil {
		return value, err
	}
	if pod.Spec.HostNetwork && len(podIPs) == 0 {
		podIPs = node.HostIPs // on the host's network the pod has the node's IPs, as the kubelet says
	}
	switch path {
	case "spec.nodeName":
		return node.Name, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		if len(podIPs) > 0 {
			return podIPs[0], nil
		}
		return "", nil
	case "status.podIPs":
		return strings.Join(podIPs, ","), nil
	case "status.hostIP", "status.hostIPs":
		if len(node.HostIPs) == 0 {
			return "", fmt.Errorf("fieldRef %q: this node does not know its IP (no interface holds the default route)", path)
		}
		if path == "status.hostIP" {
			return node.HostIPs[0], nil
		}
		return strings.Join(node.HostIPs, ","), nil
	default:
		return "", fmt.Errorf("fieldRef %q is not supported", path)
	}
}

// MetadataField is the pod's metadata.name, metadata.namespace,
// metadata.uid, or one label or annotation (metadata.labels['KEY']): the
// fields env and downwardAPI volumes share. ok is false for another path.
func MetadataField(pod *v1.Pod, path string) (value string, ok bool, err error) {
	if field, key, subscript := subscripted(path); subscript {
		switch field {
		case "metadata.labels":
			return pod.Labels[key], true, nil
		case "metadata.annotations":
			return pod.Annotations[key], true, nil
		}
		return "", false, fmt.Errorf("fieldRef %q is not supported: only metadata.labels and metadata.annotations take a ['key']", path)
	}
	switch path {
	case "metadata.name":
		return pod.Name, true, nil
	case "metadata.namespace":
		return pod.Namespace, true, nil
	case "metadata.uid":
		return string(pod.UID), true, nil
	}
	return "", false, nil
}

// subscripted splits "metadata.labels['app']" into its field and key.
func subscripted(path string) (field, key string, ok bool) {
	rest, ok := strings.CutSuffix(path, "']")
	if !ok {
		return "", "", false
	}
	field, key, ok = strings.Cut(rest, "['")
	return field, key, ok && field != ""
}

// resourceField is a container's request or limit ("limits." may be left
// out) in units of the divisor, rounded up, as the kubelet shows it; a
// limit the container does not set is the node's allocatable, and a
// request it does not set is "0".
func resourceField(c *v1.Container, ref *v1.ResourceFieldSelector, allocatable v1.ResourceList) string {
	quantities, name, isLimit := c.Resources.Limits, ref.Resource, true
	if rest, ok := strings.CutPrefix(name, "requests."); ok && rest != "" {
		quantities, name, isLimit = c.Resources.Requests, rest, false
	} else if rest, ok := strings.CutPrefix(name, "limits."); ok && rest != "" {
		name = rest
	}
	value, ok := quantities[v1.ResourceName(name)]
	if !ok && isLimit {
		value, ok = allocatable[v1.ResourceName(name)]
	}
	if !ok {
		return "0"
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = *resource.NewQuantity(1, resource.DecimalSI)
	}
	if v1.ResourceName(name) == v1.ResourceCPU {
		return strconv.FormatInt(int64(math.Ceil(float64(value.MilliValue())/float64(divisor.MilliValue()))), 10)
	}
	if divisor.Value() == 0 {
		return "0" // a divisor under 1 (say 1m) of a whole-unit resource: nothing sensible to show
	}
	return strconv.FormatInt(int64(math.Ceil(float64(value.Value())/float64(divisor.Value()))), 10)
}
