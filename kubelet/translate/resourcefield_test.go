package translate

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestResourceFieldAsTheKubeletShowsIt: the downward API's value of a
// container's request or limit, rounded up in units of the divisor, and
// the node's allocatable for a limit the container does not set.
func TestResourceFieldAsTheKubeletShowsIt(t *testing.T) {
	q := resource.MustParse
	c := &v1.Container{Resources: v1.ResourceRequirements{
		Limits:   v1.ResourceList{v1.ResourceCPU: q("1250m")},
		Requests: v1.ResourceList{v1.ResourceMemory: q("33Mi")},
	}}
	allocatable := v1.ResourceList{v1.ResourceCPU: q("2"), v1.ResourceMemory: q("8Gi")}
	for _, tt := range []struct {
		resource, divisor string
		want              string
	}{
		{"limits.cpu", "", "2"},             // 1.25 cores rounded up
		{"limits.cpu", "1m", "1250"},        // in millicores
		{"cpu", "", "2"},                    // "limits." left out
		{"limits.memory", "", "8589934592"}, // unset: the node's allocatable
		{"limits.memory", "1Mi", "8192"},
		{"requests.memory", "1Mi", "33"},
		{"requests.cpu", "", "0"}, // an unset request is 0, not the node's
	} {
		ref := &v1.ResourceFieldSelector{Resource: tt.resource}
		if tt.divisor != "" {
			ref.Divisor = q(tt.divisor)
		}
		if got := resourceField(c, ref, allocatable); got != tt.want {
			t.Errorf("%s / %q = %s, want %s", tt.resource, tt.divisor, got, tt.want)
		}
	}
}
