package kubelet

import (
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// admissionRecheck is how often a pod waiting for a slot looks again on
// its own. Slots freed by the agent (a pod removed, a pod finished) wake
// the waiting pods at once; this catches a pod the runtime lost by other
// hands. The check makes no runtime call.
const admissionRecheck = 10 * time.Second

// admitLocked decides whether the pod of rec may run under
// Config.MaxPods; when it may not, it records the OutOfpods status (and,
// the first time, an event) and returns when to look again. A pod that
// holds a slot passes without any work. Callers hold k.mu.
func (k *Kubelet) admitLocked(rec *podRecord, pod *v1.Pod) (time.Duration, bool) {
	present := k.relister.present.Load()
	if rec.admitted || (present != nil && (*present)[pod.UID] && !k.removed[pod.UID]) {
		rec.admitted = true
		return 0, true
	}
	if present == nil {
		// Until a relist has shown what the runtime already runs (pods
		// adopted after a restart), slots cannot be counted; the first
		// relist wakes the pod (handleRuntimeChanges).
		return retryAfterError, false
	}
	verdict := admitPods(k.admissionPodsLocked(*present), k.cfg.MaxPods)
	if verdict.Admitted[pod.UID] {
		rec.admitted = true
		if rec.outOfPods != "" {
			// Shown as being created from now on, not as still waiting
			// while its sandbox and images take their time.
			rec.outOfPods = ""
			rec.status = computePodStatus(pod, &observedPod{}, rec.waiting, k.cfg.RuntimeName, rec.firstSeen, false, k.probes)
			k.bump(rec)
			k.log.Info("pod admitted: a slot freed", "pod", podRef(pod, pod.UID), "maxPods", k.cfg.MaxPods)
		}
		return 0, true
	}
	message := verdict.Waiting[pod.UID]
	if rec.source == SourceAPI {
		return k.rejectLocked(rec, pod, message), false
	}
	if rec.outOfPods == "" {
		k.log.Info("pod waits: the node runs maxPods pods", "pod", podRef(pod, pod.UID), "maxPods", k.cfg.MaxPods)
		k.recordLocked(rec, Event{Time: k.cfg.Now(), Type: v1.EventTypeWarning, Reason: ReasonOutOfPods, Message: message})
		k.bump(rec)
	}
	rec.outOfPods = message
	if status := outOfPodsStatus(pod, message, rec.firstSeen); !equality.Semantic.DeepEqual(status, rec.status) {
		rec.status = status
		k.bump(rec)
	}
	return admissionRecheck, false
}

// rejectLocked fails a cluster pod that does not fit, as the kubelet's
// admit handler rejects it: Failed, reason OutOfpods, for good (the API
// server's pod never runs again; its controller makes another, which the
// scheduler may bind elsewhere). A static pod has nowhere else to go, so
// it waits instead. It returns the worker's requeue: none, nothing is left
// to do until the source drops the pod. Callers hold k.mu.
func (k *Kubelet) rejectLocked(rec *podRecord, pod *v1.Pod, message string) time.Duration {
	if rec.status.Phase == v1.PodFailed {
		return 0
	}
	// The kubelet's own message; the advice on waiting for a slot is for
	// static pods.
	message, _, _ = strings.Cut(message, ";")
	k.log.Info("pod rejected: the node runs maxPods pods", "pod", podRef(pod, pod.UID), "maxPods", k.cfg.MaxPods)
	k.recordLocked(rec, Event{Time: k.cfg.Now(), Type: v1.EventTypeWarning, Reason: ReasonOutOfPods, Message: message})
	start := metav1.NewTime(rec.firstSeen)
	rec.status = v1.PodStatus{Phase: v1.PodFailed, Reason: ReasonOutOfPods, Message: message, QOSClass: qosClass(pod), StartTime: &start}
	k.bump(rec)
	return 0
}

// admissionPodsLocked describes every pod the agent or the runtime knows
// for admitPods. Callers hold k.mu.
func (k *Kubelet) admissionPodsLocked(present map[types.UID]bool) []admissionPod {
	pods := make([]admissionPod, 0, len(k.pods)+len(present))
	for uid, rec := range k.pods {
		p := admissionPod{UID: uid, Since: rec.firstSeen, Holds: rec.admitted || (present[uid] && !k.removed[uid]), Wanted: rec.desired != nil,
			Finished: isFinished(rec.status.Phase) || (rec.desired != nil && rec.finished != "")}
		if rec.lastPod != nil {
			p.Name = types.NamespacedName{Namespace: rec.lastPod.Namespace, Name: rec.lastPod.Name}
			if created := rec.lastPod.CreationTimestamp; !created.IsZero() {
				p.Since = created.Time
			}
		}
		pods = append(pods, p)
	}
	for uid := range present {
		if _, known := k.pods[uid]; !known && !k.removed[uid] {
			pods = append(pods, admissionPod{UID: uid, Holds: true}) // not adopted yet
		}
	}
	return pods
}

// forgetRemovedLocked drops the removed pods a relist no longer shows:
// from then on the relist itself tells. Callers hold k.mu.
func (k *Kubelet) forgetRemovedLocked(present []types.UID) {
	shown := make(map[types.UID]bool, len(present))
	for _, uid := range present {
		shown[uid] = true
	}
	for uid := range k.removed {
		if !shown[uid] {
			delete(k.removed, uid)
		}
	}
}

// unadmittedLocked lists the wanted pods that hold no slot. Callers hold
// k.mu.
func (k *Kubelet) unadmittedLocked() []types.UID {
	var uids []types.UID
	for uid, rec := range k.pods {
		if rec.desired != nil && !rec.admitted {
			uids = append(uids, uid)
		}
	}
	return uids
}

// wakeWaitingForSlot syncs every pod waiting for a slot, after one freed.
func (k *Kubelet) wakeWaitingForSlot() {
	k.mu.Lock()
	var waiting []types.UID
	for uid, rec := range k.pods {
		if rec.outOfPods != "" && rec.desired != nil {
			waiting = append(waiting, uid)
		}
	}
	k.mu.Unlock()
	for _, uid := range waiting {
		k.workers.enqueue(uid)
	}
}

// outOfPodsStatus is the status of a pod that does not fit: Pending, as it
// starts once a slot frees (the kubelet fails such a pod, and a controller
// makes another elsewhere; a static pod has no other node), with the
// kubelet's reason and message and no container statuses, so `get pods`
// shows OutOfpods.
func outOfPodsStatus(pod *v1.Pod, message string, firstSeen time.Time) v1.PodStatus {
	start := metav1.NewTime(firstSeen)
	status := v1.PodStatus{Phase: v1.PodPending, Reason: ReasonOutOfPods, Message: message, QOSClass: qosClass(pod), StartTime: &start}
	status.Conditions = podConditions(pod, status)
	return status
}
