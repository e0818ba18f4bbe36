package kubelet

import (
	"math"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
)

// resizedPod is a one-container pod with CPU and memory requests.
func resizedPod(cpu, memory string) *v1.Pod {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	pod.Spec.Containers[0].Resources.Requests = v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpu), v1.ResourceMemory: resource.MustParse(memory)}
	return pod
}

// A resize is allocated when the node has room, and otherwise waits with
// the kubelet's reason and message: Infeasible beyond what the node
// offers at all, Deferred beyond what its other pods leave.
func TestAllocate(t *testing.T) {
	allocatable := v1.ResourceList{v1.ResourceCPU: resource.MustParse("2"), v1.ResourceMemory: resource.MustParse("1Gi")}
	before := allocationOf(resizedPod("100m", "100Mi"))
	tests := []struct {
		name        string
		pod         *v1.Pod
		prev        allocation
		others      podRequests
		wantPod     *v1.Pod
		wantPending *resizePending
	}{
		{"a new pod gets its spec", resizedPod("3", "100Mi"), nil, podRequests{}, resizedPod("3", "100Mi"), nil},
		{"no resize", resizedPod("100m", "100Mi"), before, podRequests{MilliCPU: 1950}, resizedPod("100m", "100Mi"), nil},
		{"a resize that fits", resizedPod("500m", "200Mi"), before, podRequests{MilliCPU: 1000}, resizedPod("500m", "200Mi"), nil},
		{"a resize that shrinks fits beside anything", resizedPod("50m", "50Mi"), before, podRequests{MilliCPU: 1990, MemoryBytes: 1 << 30}, resizedPod("50m", "50Mi"), nil},
		{"more CPU than the node has", resizedPod("3", "100Mi"), before, podRequests{}, resizedPod("100m", "100Mi"),
			&resizePending{Reason: v1.PodReasonInfeasible, Message: "Node didn't have enough capacity: cpu, requested: 3000, capacity: 2000"}},
		{"more memory than the node has", resizedPod("100m", "2Gi"), before, podRequests{}, resizedPod("100m", "100Mi"),
			&resizePending{Reason: v1.PodReasonInfeasible, Message: "Node didn't have enough capacity: memory, requested: 2147483648, capacity: 1073741824"}},
		{"no room beside the other pods", resizedPod("500m", "100Mi"), before, podRequests{MilliCPU: 1600}, resizedPod("100m", "100Mi"),
			&resizePending{Reason: v1.PodReasonDeferred, Message: "Node didn't have enough resource: cpu, requested: 500, used: 1600, capacity: 2000"}},
	}
	for _, tt := range tests {
		got, pending := allocate(tt.pod, tt.prev, allocatable, func() podRequests { return tt.others })
		if !equality.Semantic.DeepEqual(got, allocationOf(tt.wantPod)) {
			t.Errorf("%s: allocation %v, want %v", tt.name, got, allocationOf(tt.wantPod))
		}
		if (pending == nil) != (tt.wantPending == nil) || pending != nil && *pending != *tt.wantPending {
			t.Errorf("%s: pending %+v, want %+v", tt.name, pending, tt.wantPending)
		}
		if acted := withAllocation(tt.pod, got); !equality.Semantic.DeepEqual(acted.Spec.Containers[0].Resources, tt.wantPod.Spec.Containers[0].Resources) {
			t.Errorf("%s: the sync acts on %v, want %v", tt.name, acted.Spec.Containers[0].Resources, tt.wantPod.Spec.Containers[0].Resources)
		}
	}
}

// Sidecars run beside the app containers; a regular init container runs
// beside the sidecars started before it.
func TestRequestsOf(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, []string{"side", "init"}, "a", "b")
	always := v1.ContainerRestartPolicyAlways
	pod.Spec.InitContainers[0].RestartPolicy = &always
	set := func(c *v1.Container, cpu string) {
		c.Resources.Requests = v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpu)}
	}
	set(&pod.Spec.InitContainers[0], "100m")
	set(&pod.Spec.InitContainers[1], "500m")
	set(&pod.Spec.Containers[0], "200m")
	set(&pod.Spec.Containers[1], "100m")
	if got := requestsOf(pod); got.MilliCPU != 600 {
		t.Errorf("requests %dm CPU, want 600m (the init container beside the sidecar)", got.MilliCPU)
	}
	set(&pod.Spec.Containers[0], "600m")
	if got := requestsOf(pod); got.MilliCPU != 800 {
		t.Errorf("requests %dm CPU, want 800m (the apps beside the sidecar)", got.MilliCPU)
	}
}

// Requests past what an int64 holds in millicores or bytes (the API
// accepts them) saturate instead of wrapping around to a negative total
// that fits any node: such a resize is Infeasible, not granted.
func TestAllocateHugeRequests(t *testing.T) {
	allocatable := v1.ResourceList{v1.ResourceCPU: resource.MustParse("2"), v1.ResourceMemory: resource.MustParse("1Gi")}
	before := allocationOf(resizedPod("100m", "100Mi"))
	twoHuge := func(cpu, memory string) *v1.Pod {
		pod := testPod(v1.RestartPolicyAlways, nil, "a", "b")
		for i := range pod.Spec.Containers {
			pod.Spec.Containers[i].Resources.Requests = v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpu), v1.ResourceMemory: resource.MustParse(memory)}
		}
		return pod
	}
	for name, pod := range map[string]*v1.Pod{
		"one CPU request past 2^63 millicores":  resizedPod("9223372036854776", "100Mi"),
		"two CPU requests summing past 2^63":    twoHuge("5e15", "10Mi"),
		"two memory requests summing past 2^63": twoHuge("100m", "5Ei"),
	} {
		got, pending := allocate(pod, before, allocatable, func() podRequests { return podRequests{} })
		if pending == nil || pending.Reason != v1.PodReasonInfeasible {
			t.Errorf("%s: pending %+v, want Infeasible", name, pending)
		}
		if !equality.Semantic.DeepEqual(got, before) {
			t.Errorf("%s: allocated %v, want the previous allocation kept", name, got)
		}
	}
	// Other pods' huge requests leave no room, rather than negative room.
	others := podRequests{MilliCPU: math.MaxInt64}.add(podRequests{MilliCPU: 1})
	if others.MilliCPU != math.MaxInt64 {
		t.Errorf("sum of requests wrapped to %d", others.MilliCPU)
	}
}
