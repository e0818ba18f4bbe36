package kubelet

import (
	"cmp"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// recordStatus recomputes a pod's status from what was observed and what
// the plan held back, and records the pod-start latency once. It reports
// whether the pod has just finished (Succeeded or Failed), which frees
// its maxPods slot.
func (k *Kubelet) recordStatus(uid types.UID, pod *v1.Pod, obs *observedPod, plan *podActions) (finished bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec, ok := k.pods[uid]
	if !ok || pod == nil {
		return false
	}
	waiting := map[string]waitingState{}
	for name, w := range rec.waiting {
		waiting[name] = w
	}
	for name, w := range plan.Waiting {
		waiting[name] = w
		if rec.waiting[name] != w {
			k.recordLocked(rec, Event{Time: k.cfg.Now(), Type: v1.EventTypeWarning, Reason: cmp.Or(w.Event, EventBackOff), Container: name, Message: w.Message})
		}
	}
	status := computePodStatus(pod, obs, waiting, k.cfg.RuntimeName, rec.firstSeen, plan.Terminal, k.probes)
	status.Conditions = append(status.Conditions, resizeConditions(rec.resizePending, plan.Resizing, rec.resizeError, pod.Generation)...)
	switch {
	case rec.deadlineExceeded:
		status = deadlineStatus(status, rec.status, obs)
	case rec.finished != "":
		status = finishedStatus(status, rec.status, rec.finished, obs)
	}
	if !equality.Semantic.DeepEqual(status, rec.status) {
		finished = isFinished(status.Phase) && !isFinished(rec.status.Phase)
		rec.status = status
		k.bump(rec)
	}
	rec.observed = obs
	for name, w := range plan.Waiting {
		if rec.waiting == nil {
			rec.waiting = map[string]waitingState{}
		}
		rec.waiting[name] = w
	}
	if !rec.startObserved && allContainersRunning(rec.status) {
		rec.startObserved = true
		k.cfg.Metrics.ObservePodStart(k.cfg.Now().Sub(rec.firstSeen))
		k.cfg.Metrics.StartedPod()
		k.log.Info("pod running", "pod", podRef(pod, uid), "ips", rec.status.PodIPs, "took", k.cfg.Now().Sub(rec.firstSeen).Round(time.Millisecond))
	}
	return finished
}

// finishedStatus is the status of a pod its source reports finished in
// phase: computed from its containers when the runtime still holds any,
// its phase forced to the source's (the kubelet allows no way out of a
// terminal phase); with none left (a pod rejected before it ran, or one
// the runtime lost), the last status stands, as there is nothing new to
// tell.
func finishedStatus(computed, last v1.PodStatus, phase v1.PodPhase, obs *observedPod) v1.PodStatus {
	if len(obs.Containers) == 0 {
		return last
	}
	computed.Phase = phase
	return computed
}

func isFinished(phase v1.PodPhase) bool { return phase == v1.PodSucceeded || phase == v1.PodFailed }

func allContainersRunning(s v1.PodStatus) bool {
	if len(s.ContainerStatuses) == 0 {
		return false
	}
	for _, c := range s.ContainerStatuses {
		if c.State.Running == nil {
			return false
		}
	}
	return true
}

// computePodStatus derives the Kubernetes pod status from the runtime's
// view, the kubelet's way: phase, conditions, IPs, and per container its
// state, last termination and restart count.
func computePodStatus(pod *v1.Pod, obs *observedPod, waiting map[string]waitingState, runtimeName string, firstSeen time.Time, terminal bool, probes probeResults) v1.PodStatus {
	status := v1.PodStatus{QOSClass: qosClass(pod)}
	sandboxID := ""
	if sb := obs.currentSandbox(); sb != nil {
		sandboxID = sb.ID
		if sb.Ready {
			for _, ip := range sb.IPs {
				status.PodIPs = append(status.PodIPs, v1.PodIP{IP: ip})
			}
			if len(sb.IPs) > 0 {
				status.PodIP = sb.IPs[0]
			}
		}
	}
	start := metav1.NewTime(firstSeen)
	status.StartTime = &start

	var init initProgress
	for i := range pod.Spec.InitContainers {
		spec := &pod.Spec.InitContainers[i]
		cs := containerStatus(pod.UID, spec, obs, sandboxID, waiting, runtimeName, ReasonPodInitializing, probes)
		switch {
		case isSidecar(spec):
			// A sidecar is ready as an app container is (running, started
			// and its readiness probe passed), and it lets initialization
			// go on once started.
			init.sidecarsPending = init.sidecarsPending || cs.Started == nil || !*cs.Started
		default:
			// The kubelet's mark of an init container: Ready once it exited
			// 0, not while it runs (no readiness probe makes a running one
			// ready).
			cs.Ready = cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0
			init.regularPending = init.regularPending || !cs.Ready
		}
		status.InitContainerStatuses = append(status.InitContainerStatuses, cs)
	}
	appWaitingReason := ReasonContainerCreating
	if init.regularPending || init.sidecarsPending {
		appWaitingReason = ReasonPodInitializing
	}
	for i := range pod.Spec.Containers {
		status.ContainerStatuses = append(status.ContainerStatuses,
			containerStatus(pod.UID, &pod.Spec.Containers[i], obs, sandboxID, waiting, runtimeName, appWaitingReason, probes))
	}
	status.EphemeralContainerStatuses = ephemeralStatuses(pod, obs, sandboxID, waiting, runtimeName, appWaitingReason)
	status.Phase = podPhase(pod, status, init, terminal)
	setConditions(&status, pod)
	return status
}

// setConditions sets the pod's conditions from status, stamped, as the
// status itself, with the generation of the spec it is of (kubelet 1.34+).
func setConditions(status *v1.PodStatus, pod *v1.Pod) {
	status.Conditions = podConditions(pod, *status)
	status.ObservedGeneration = pod.Generation
	for i := range status.Conditions {
		status.Conditions[i].ObservedGeneration = pod.Generation
	}
}

// notReadyWhileTerminatingLocked marks a pod being stopped not ready at
// once, before its containers get their grace period, as the kubelet's
// prober reports during termination: endpoints stop sending it traffic
// while it drains. Callers hold k.mu.
func (k *Kubelet) notReadyWhileTerminatingLocked(rec *podRecord) {
	if rec.lastPod == nil {
		return
	}
	status := *rec.status.DeepCopy()
	changed := false
	for i := range status.ContainerStatuses {
		if status.ContainerStatuses[i].Ready {
			status.ContainerStatuses[i].Ready, changed = false, true
		}
	}
	for i := range status.InitContainerStatuses { // sidecars
		spec := specContainer(rec.lastPod, status.InitContainerStatuses[i].Name)
		if spec != nil && isSidecar(spec) && status.InitContainerStatuses[i].Ready {
			status.InitContainerStatuses[i].Ready, changed = false, true
		}
	}
	if !changed {
		return
	}
	setConditions(&status, rec.lastPod)
	rec.status = status
	k.bump(rec)
}

func containerStatus(uid types.UID, spec *v1.Container, obs *observedPod, sandboxID string, waiting map[string]waitingState, runtimeName, defaultReason string, probes probeResults) v1.ContainerStatus {
	cs := v1.ContainerStatus{Name: spec.Name, Image: spec.Image}
	current := obs.latest(spec.Name, sandboxID)
	if current == nil {
		for i := range obs.Containers { // e.g. the sandbox was just replaced
			if obs.Containers[i].Name == spec.Name {
				current = &obs.Containers[i]
				break
			}
		}
	}
	if previous := previousInstance(obs, spec.Name, current); previous != nil {
		cs.LastTerminationState = v1.ContainerState{Terminated: terminatedState(previous, runtimeName)}
	}
	w, held := waiting[spec.Name]
	switch {
	case current == nil:
		if !held {
			w = waitingState{Reason: defaultReason}
		}
		cs.State.Waiting = &v1.ContainerStateWaiting{Reason: w.Reason, Message: w.Message}
		// The kubelet's prober marks every status, not only a running
		// one's: clients (the e2e suite among them) read *started.
		cs.Started = new(false)
		return cs
	case current.State == runtimeapi.ContainerState_CONTAINER_RUNNING:
		cs.State.Running = &v1.ContainerStateRunning{StartedAt: metav1.NewTime(current.StartedAt)}
		cs.Ready = probes.Ready(uid, spec, current.ID)
	case current.State == runtimeapi.ContainerState_CONTAINER_EXITED && held:
		cs.State.Waiting = &v1.ContainerStateWaiting{Reason: w.Reason, Message: w.Message}
		cs.LastTerminationState = v1.ContainerState{Terminated: terminatedState(current, runtimeName)}
	case current.State == runtimeapi.ContainerState_CONTAINER_EXITED:
		cs.State.Terminated = terminatedState(current, runtimeName)
	default:
		cs.State.Waiting = &v1.ContainerStateWaiting{Reason: ReasonContainerCreating}
	}
	started := current.State == runtimeapi.ContainerState_CONTAINER_RUNNING && probes.Started(uid, spec, current.ID)
	cs.Started = &started
	cs.RestartCount = int32(current.RestartCount)
	cs.ContainerID = runtimeName + "://" + current.ID
	cs.ImageID = current.ImageRef
	setStatusResources(&cs, spec, current)
	return cs
}

// setStatusResources tells, as the kubelet does for every container the
// runtime holds an instance of, what it is allocated (spec is the
// allocated spec) and what it runs with: a running one's cgroup settings
// as the runtime reports them, a stopped one's allocation.
func setStatusResources(cs *v1.ContainerStatus, spec *v1.Container, current *observedContainer) {
	cs.AllocatedResources = spec.Resources.Requests.DeepCopy()
	if current.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		cs.Resources = spec.Resources.DeepCopy()
		return
	}
	cs.Resources = translate.StatusResources(spec.Resources, current.Resources)
}

// previousInstance is the newest dead instance older than current.
func previousInstance(obs *observedPod, name string, current *observedContainer) *observedContainer {
	for i := range obs.Containers {
		c := &obs.Containers[i]
		if c.Name != name || c.State != runtimeapi.ContainerState_CONTAINER_EXITED {
			continue
		}
		if current == nil || (c.ID != current.ID && c.RestartCount < current.RestartCount) {
			return c
		}
	}
	return nil
}

func terminatedState(c *observedContainer, runtimeName string) *v1.ContainerStateTerminated {
	reason := c.Reason
	switch {
	case reason == "OOMKilled":
	case c.ExitCode == 0:
		reason = ReasonCompleted
	case reason == "" || reason == "Error":
		reason = ReasonError
	}
	return &v1.ContainerStateTerminated{
		ExitCode:    c.ExitCode,
		Reason:      reason,
		Message:     c.Message,
		StartedAt:   metav1.NewTime(c.StartedAt),
		FinishedAt:  metav1.NewTime(c.FinishedAt),
		ContainerID: runtimeName + "://" + c.ID,
	}
}

// initProgress is how far a pod's init containers got: a regular one has
// not exited 0 yet, or a sidecar has not started (or restarts).
type initProgress struct {
	regularPending, sidecarsPending bool
}

// podPhase is the kubelet's getPhase for the statuses computePodStatus
// made. Sidecars count as the kubelet counts them: one not started keeps
// the pod Pending only until an app container has run (a sidecar that
// restarts later does not send the pod back), one running keeps a
// finished pod Running until it is stopped, and their exit codes, a
// SIGTERM's 143 as a rule, never make the pod Failed.
func podPhase(pod *v1.Pod, status v1.PodStatus, init initProgress, terminal bool) v1.PodPhase {
	sidecarRunning, initFailed := false, false
	for i, cs := range status.InitContainerStatuses {
		if isSidecar(&pod.Spec.InitContainers[i]) {
			sidecarRunning = sidecarRunning || cs.State.Running != nil
		} else if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			initFailed = true
		}
	}
	if terminal {
		if initFailed {
			return v1.PodFailed
		}
		if sidecarRunning {
			return v1.PodRunning // until the sidecars are stopped
		}
		for _, cs := range status.ContainerStatuses {
			if t := cs.State.Terminated; t == nil || t.ExitCode != 0 {
				return v1.PodFailed
			}
		}
		return v1.PodSucceeded
	}
	appRan := false
	for _, cs := range status.ContainerStatuses {
		appRan = appRan || cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil
	}
	if init.regularPending || (init.sidecarsPending && !appRan) {
		return v1.PodPending
	}
	for _, cs := range status.ContainerStatuses {
		neverRan := cs.State.Waiting != nil && cs.LastTerminationState.Terminated == nil
		if neverRan {
			return v1.PodPending
		}
	}
	return v1.PodRunning
}

func qosClass(pod *v1.Pod) v1.PodQOSClass {
	any, guaranteed := false, true
	for _, c := range pod.Spec.Containers {
		for _, r := range []v1.ResourceName{v1.ResourceCPU, v1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[r]
			lim, hasLim := c.Resources.Limits[r]
			any = any || hasReq || hasLim
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !any:
		return v1.PodQOSBestEffort
	case guaranteed:
		return v1.PodQOSGuaranteed
	default:
		return v1.PodQOSBurstable
	}
}

// probeResults is what status needs from the prober.
type probeResults interface {
	Ready(uid types.UID, spec *v1.Container, containerID string) bool
	Started(uid types.UID, spec *v1.Container, containerID string) bool
}
