package kubelet

import (
	"fmt"
	"math"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
)

// allocation is what a pod's containers are allocated, by container name:
// the requests and limits the node admitted, which the containers are
// made with and resized to. It differs from the spec while a resize (the
// pods/resize subresource) waits for room on the node.
type allocation map[string]v1.ResourceRequirements

// resizePending is why a pod's resize is not allocated: the kubelet's
// PodResizePending condition, reason Infeasible or Deferred.
type resizePending struct {
	Reason, Message string
}

func allocationOf(pod *v1.Pod) allocation {
	a := allocation{}
	for _, cs := range [][]v1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			a[cs[i].Name] = *cs[i].Resources.DeepCopy()
		}
	}
	return a
}

// allocate decides a pod's allocation, as the kubelet's allocation
// manager does. A pod seen for the first time gets its spec's (it was
// admitted with them). A spec whose resources changed since prev gets
// them if the node has room: its allocatable must hold the pod's new
// requests (else the resize is Infeasible, and waits for a new spec), and
// together with what the node's other pods are allocated (others, asked
// only then), for the requests that grow (else it is Deferred, and retried at every sync:
// a node already overcommitted refuses no shrinking). Until then the pod
// keeps prev. allocatable nil means unknown, and any resize fits. It is pure.
func allocate(pod *v1.Pod, prev allocation, allocatable v1.ResourceList, others func() podRequests) (allocation, *resizePending) {
	want := allocationOf(pod)
	if prev == nil || equality.Semantic.DeepEqual(want, prev) || allocatable == nil {
		return want, nil
	}
	need, had, used := requestsOf(pod), requestsOf(withAllocation(pod, prev)), others()
	cpuCap, memCap := allocatable.Cpu().MilliValue(), allocatable.Memory().Value()
	switch {
	case need.MemoryBytes > memCap:
		return prev, &resizePending{Reason: v1.PodReasonInfeasible, Message: fmt.Sprintf("Node didn't have enough capacity: memory, requested: %d, capacity: %d", need.MemoryBytes, memCap)}
	case need.MilliCPU > cpuCap:
		return prev, &resizePending{Reason: v1.PodReasonInfeasible, Message: fmt.Sprintf("Node didn't have enough capacity: cpu, requested: %d, capacity: %d", need.MilliCPU, cpuCap)}
	case need.MilliCPU > had.MilliCPU && used.MilliCPU+need.MilliCPU > cpuCap:
		return prev, &resizePending{Reason: v1.PodReasonDeferred, Message: fmt.Sprintf("Node didn't have enough resource: cpu, requested: %d, used: %d, capacity: %d", need.MilliCPU, used.MilliCPU, cpuCap)}
	case need.MemoryBytes > had.MemoryBytes && used.MemoryBytes+need.MemoryBytes > memCap:
		return prev, &resizePending{Reason: v1.PodReasonDeferred, Message: fmt.Sprintf("Node didn't have enough resource: memory, requested: %d, used: %d, capacity: %d", need.MemoryBytes, used.MemoryBytes, memCap)}
	}
	return want, nil
}

// withAllocation is pod with its containers' resources replaced by a's:
// the spec the sync acts on. pod itself when nothing differs, so a pod
// without a pending resize is the very object its source gave.
func withAllocation(pod *v1.Pod, a allocation) *v1.Pod {
	if a == nil || equality.Semantic.DeepEqual(allocationOf(pod), a) {
		return pod
	}
	out := pod.DeepCopy()
	for _, cs := range [][]v1.Container{out.Spec.InitContainers, out.Spec.Containers} {
		for i := range cs {
			if r, ok := a[cs[i].Name]; ok {
				cs[i].Resources = *r.DeepCopy()
			}
		}
	}
	return out
}

// podRequests are a pod's CPU and memory requests as the scheduler counts
// them.
type podRequests struct {
	MilliCPU, MemoryBytes int64
}

// add saturates at math.MaxInt64: a sum that wrapped around would turn
// negative and fit any node, so that a pod asking for absurd amounts (a
// resize is checked by nothing but this) got them, and the other pods'
// resizes were measured against a negative total.
func (r podRequests) add(o podRequests) podRequests {
	return podRequests{saturatingAdd(r.MilliCPU, o.MilliCPU), saturatingAdd(r.MemoryBytes, o.MemoryBytes)}
}

func saturatingAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func (r podRequests) atLeast(o podRequests) podRequests {
	return podRequests{max(r.MilliCPU, o.MilliCPU), max(r.MemoryBytes, o.MemoryBytes)}
}

func containerRequests(c *v1.Container) podRequests {
	return podRequests{scaled(c.Resources.Requests.Cpu(), resource.Milli), scaled(c.Resources.Requests.Memory(), 0)}
}

// scaled is q in units of 10^scale, saturated to [0, math.MaxInt64]:
// Quantity.MilliValue wraps around for quantities past 9.2e15 (the API
// accepts far larger ones), which would make them negative or small.
func scaled(q *resource.Quantity, scale resource.Scale) int64 {
	if q.Sign() <= 0 {
		return 0
	}
	if q.Cmp(*resource.NewScaledQuantity(math.MaxInt64, scale)) >= 0 {
		return math.MaxInt64
	}
	return q.ScaledValue(scale)
}

// requestsOf is the scheduler's sum: app containers and sidecars run
// together, and each regular init container runs beside the sidecars
// started before it, so the pod needs the larger of the two.
func requestsOf(pod *v1.Pod) podRequests {
	var running, peak podRequests
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if isSidecar(c) {
			running = running.add(containerRequests(c))
			continue
		}
		peak = peak.atLeast(running.add(containerRequests(c)))
	}
	for i := range pod.Spec.Containers {
		running = running.add(containerRequests(&pod.Spec.Containers[i]))
	}
	return running.atLeast(peak)
}

// allocateLocked decides rec's allocation for pod (allocate), against
// what the node's other running pods are allocated, records it, tells a
// new verdict on a resize as the kubelet's events do, and returns the spec
// the sync acts on, whether a resize is Deferred (it is retried after
// deferredResizeRetry: the pods that take the room may go meanwhile), and
// the allocation to checkpoint (nil when the saved one stands), which the
// caller saves once it has let go of k.mu (saveAllocationOf): a write and
// two fsyncs must not hold every other pod's sync. A static pod is never
// resized (an edited manifest is a new pod), so it has no allocation to
// keep. Callers hold k.mu.
func (k *Kubelet) allocateLocked(rec *podRecord, pod *v1.Pod) (*v1.Pod, bool, allocation) {
	if rec.source != SourceAPI {
		return pod, false, nil
	}
	others := func() podRequests { // only a resize needs them
		var sum podRequests
		for _, r := range k.pods {
			if r != rec && r.desired != nil && r.finished == "" {
				sum = sum.add(requestsOf(withAllocation(r.desired, r.allocation)))
			}
		}
		return sum
	}
	if !rec.allocationLoaded {
		rec.allocation, rec.allocationLoaded = k.loadAllocation(pod.UID), true
		rec.allocationSaved = rec.allocation != nil
	}
	alloc, pending := allocate(pod, rec.allocation, k.cfg.Allocatable, others)
	var toSave allocation
	if !rec.allocationSaved || !equality.Semantic.DeepEqual(alloc, rec.allocation) {
		toSave = alloc
		rec.allocationSaved = true // until saveAllocationOf says otherwise
	}
	now := k.cfg.Now()
	if rec.allocation != nil && !equality.Semantic.DeepEqual(alloc, rec.allocation) {
		k.recordLocked(rec, Event{Time: now, Type: v1.EventTypeNormal, Reason: EventResizeStarted,
			Message: fmt.Sprintf("Pod resize started: generation %d", pod.Generation)})
	}
	if pending != nil && (rec.resizePending == nil || *rec.resizePending != *pending) {
		reason := EventResizeDeferred
		if pending.Reason == v1.PodReasonInfeasible {
			reason = EventResizeInfeasible
		}
		k.recordLocked(rec, Event{Time: now, Type: v1.EventTypeWarning, Reason: reason,
			Message: fmt.Sprintf("Pod resize %s: generation %d: %s", pending.Reason, pod.Generation, pending.Message)})
	}
	rec.allocation, rec.resizePending = alloc, pending
	return withAllocation(pod, alloc), pending != nil && pending.Reason == v1.PodReasonDeferred, toSave
}

// saveAllocationOf checkpoints a, the allocation allocateLocked decided
// for pod; a save that fails is tried again at the pod's next sync.
// Callers do not hold k.mu.
func (k *Kubelet) saveAllocationOf(pod *v1.Pod, a allocation) {
	err := k.saveAllocation(pod.UID, a)
	if err == nil {
		return
	}
	k.log.Warn("a resize may be granted unchecked after an agent restart", "pod", podRef(pod, pod.UID), "err", err)
	k.mu.Lock()
	if rec, ok := k.pods[pod.UID]; ok {
		rec.allocationSaved = false
	}
	k.mu.Unlock()
}

// deferredResizeRetry is how soon a Deferred resize is tried again, the
// kubelet's first retry delay.
const deferredResizeRetry = 30 * time.Second

// retryDeferredResizes syncs the pods whose resize waits for room, once a
// pod is gone and has freed some, as the kubelet retries them when pods
// are removed.
func (k *Kubelet) retryDeferredResizes() {
	k.mu.Lock()
	var deferred []types.UID
	for uid, rec := range k.pods {
		if rec.resizePending != nil && rec.resizePending.Reason == v1.PodReasonDeferred {
			deferred = append(deferred, uid)
		}
	}
	k.mu.Unlock()
	for _, uid := range deferred {
		k.workers.enqueue(uid)
	}
}
