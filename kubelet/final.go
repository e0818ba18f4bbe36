package kubelet

import (
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ReasonContainerStatusUnknown is the kubelet's reason for a container
// that never told how it ended when its pod was terminated.
const ReasonContainerStatusUnknown = "ContainerStatusUnknown"

// Bounds of the final statuses kept after a pod is removed: the status
// loop reads one within a round (a second or so), but an API server that
// is away may keep it waiting; a pod deleted later than finalStatusTTL
// after its removal gets TerminatedStatus of its last known status.
const (
	finalStatusTTL = time.Hour
	maxFinalStatus = 1024
)

type finalStatus struct {
	status v1.PodStatus
	at     time.Time
}

// TerminatedStatus is a pod's status once it has been terminated for good
// (deleted, and nothing of it runs), as the kubelet's status manager
// completes it before the pod's final delete (TerminatePod): every app
// container without a terminated state, once the pod has initialized,
// and every init container up to the last one that tried to start, is
// Terminated with ContainerStatusUnknown and exit code 137, as nobody
// knows how it ended; a phase that is not Succeeded or Failed becomes
// Failed; the conditions follow (Ready False, PodFailed or PodCompleted).
// It is pure.
func TerminatedStatus(pod *v1.Pod, status v1.PodStatus) v1.PodStatus {
	s := *status.DeepCopy()
	unknown := v1.ContainerState{Terminated: &v1.ContainerStateTerminated{
		Reason: ReasonContainerStatusUnknown, Message: "The container could not be located when the pod was terminated", ExitCode: 137,
	}}
	if hasInitialized(pod, s) {
		for i := range s.ContainerStatuses {
			if s.ContainerStatuses[i].State.Terminated == nil {
				s.ContainerStatuses[i].State = unknown
			}
		}
	}
	for i := range triedInitContainers(s.InitContainerStatuses) {
		if s.InitContainerStatuses[i].State.Terminated == nil {
			s.InitContainerStatuses[i].State = unknown
		}
	}
	if !isFinished(s.Phase) {
		s.Phase = v1.PodFailed
	}
	for i := range s.ContainerStatuses {
		s.ContainerStatuses[i].Ready = false // nothing of it runs
	}
	setConditions(&s, pod)
	return s
}

// hasInitialized says whether the pod has shown that it got past its init
// containers: it has none, an app container left its waiting state, or
// the last init container exited 0.
func hasInitialized(pod *v1.Pod, s v1.PodStatus) bool {
	if len(pod.Spec.InitContainers) == 0 {
		return true
	}
	for _, cs := range s.ContainerStatuses {
		if cs.State.Waiting == nil || cs.LastTerminationState.Terminated != nil {
			return true
		}
	}
	if n := len(s.InitContainerStatuses); n > 0 {
		last := s.InitContainerStatuses[n-1]
		for _, t := range []*v1.ContainerStateTerminated{last.State.Terminated, last.LastTerminationState.Terminated} {
			if t != nil && t.ExitCode == 0 {
				return true
			}
		}
	}
	return false
}

// triedInitContainers are the init containers up to the last one that
// left its waiting state (or the first, when none did).
func triedInitContainers(statuses []v1.ContainerStatus) []v1.ContainerStatus {
	for i := len(statuses) - 1; i >= 0; i-- {
		if statuses[i].State.Waiting == nil || statuses[i].LastTerminationState.Terminated != nil {
			return statuses[:i+1]
		}
	}
	if len(statuses) > 0 {
		return statuses[:1]
	}
	return nil
}

// recordFinalStatus records the status of a deleted cluster pod whose
// containers are all stopped: computed from them while the runtime still
// holds them (exit codes, start and finish times), as terminal. The
// status loop sends it before the pod's final delete. A pass that finds
// the containers already removed keeps the status an earlier pass made.
// Static pods keep their phase, as under the kubelet.
func (k *Kubelet) recordFinalStatus(uid types.UID, lastPod *v1.Pod, obs *observedPod) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec, ok := k.pods[uid]
	if !ok || lastPod == nil || rec.source != SourceAPI || (len(obs.Containers) == 0 && rec.final) {
		return
	}
	status := computePodStatus(lastPod, obs, rec.waiting, k.cfg.RuntimeName, rec.firstSeen, true, k.probes)
	status = TerminatedStatus(lastPod, status)
	rec.final = true
	rec.status = status
	k.bump(rec)
}

// tellsFinalStatus says whether pod uid gets a final status when it is
// deleted: cluster pods do, static pods keep their phase.
func (k *Kubelet) tellsFinalStatus(uid types.UID) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec, ok := k.pods[uid]
	return ok && rec.source == SourceAPI
}

// keepFinalStatusLocked keeps the final status of a pod being forgotten,
// for FinalStatus. Callers hold k.mu.
func (k *Kubelet) keepFinalStatusLocked(uid types.UID, rec *podRecord) {
	now := k.cfg.Now()
	for id, f := range k.final {
		if now.Sub(f.at) > finalStatusTTL {
			delete(k.final, id)
		}
	}
	if !rec.final {
		return
	}
	if len(k.final) >= maxFinalStatus {
		var oldest types.UID
		for id, f := range k.final {
			if oldest == "" || f.at.Before(k.final[oldest].at) {
				oldest = id
			}
		}
		delete(k.final, oldest)
	}
	k.final[uid] = finalStatus{status: rec.status, at: now}
}

// FinalStatus is the terminal status of a deleted cluster pod the agent
// has removed, as its containers ended; false when there is none (a pod
// the agent never ran, or adopted without its spec after a restart).
func (k *Kubelet) FinalStatus(uid types.UID) (v1.PodStatus, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f, ok := k.final[uid]
	if !ok {
		return v1.PodStatus{}, false
	}
	return *f.status.DeepCopy(), true
}
