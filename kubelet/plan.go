package kubelet

import (
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/prober"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// podActions is the plan for one sync of one pod: what to kill, remove,
// create and start. computePodActions builds it without side effects; the
// executor in execute.go carries it out in order.
type podActions struct {
	// ContainersToKill are running (or half-created) instances to stop.
	ContainersToKill []containerKill
	// SandboxesToStop are ready sandboxes to stop, after their containers.
	SandboxesToStop []string
	// ContainersToRemove are dead instances nobody needs any more.
	ContainersToRemove []string
	// SandboxesToRemove are stopped sandboxes nobody needs any more.
	SandboxesToRemove []string

	// CreateSandbox asks for a new sandbox with SandboxAttempt.
	CreateSandbox  bool
	SandboxAttempt uint32
	// SandboxID is the ready sandbox new containers go into (empty when
	// CreateSandbox is set).
	SandboxID string

	// InitsToStart are init containers to start, one after the other in
	// this order: the next regular or sidecar init container, and sidecars
	// to restart.
	InitsToStart []containerStart
	// ContainersToStart are app containers to start, concurrently.
	ContainersToStart []containerStart
	// ContainersToResize are running containers whose cgroup settings
	// change in place, after the kills and before any start.
	ContainersToResize []containerResize
	// Resizing says a resize is being applied: some container is resized
	// in place or restarted for it (PodResizeInProgress).
	Resizing bool
	// EphemeralToStart are ephemeral containers to start, concurrently,
	// whether or not the init containers could start.
	EphemeralToStart []containerStart
	// Waiting are containers held back, by name, with the kubelet's reason.
	Waiting map[string]waitingState
	// RequeueAfter asks for another sync when a back-off ends.
	RequeueAfter time.Duration

	// Terminal says the pod has finished for good (restartPolicy Never or
	// OnFailure and nothing left to run).
	Terminal bool
	// Deleted says the pod is gone from the manifests: once everything
	// above is done, its volumes, logs and cgroup go too.
	Deleted bool
}

type containerKill struct {
	ID     string
	Name   string
	Reason string
	// GracePeriod replaces the pod's grace period when set (a failed
	// probe's terminationGracePeriodSeconds).
	GracePeriod *int64
}

// containerStart is a container instance to create: what the translation
// needs, and the crash back-off a restart counts against.
type containerStart struct {
	translate.ContainerStart
	// BackoffKey identifies the container's crash back-off; set on restarts.
	BackoffKey string
}

func startOf(spec *v1.Container, kind translate.ContainerType, restartCount int) containerStart {
	return containerStart{ContainerStart: translate.ContainerStart{Spec: spec, Type: kind, RestartCount: restartCount}}
}

type waitingState struct {
	Reason  string
	Message string
	// Event is the reason of the warning event recorded when the state is
	// new; "" means BackOff.
	Event string
}

// planInput is everything computePodActions may look at.
type planInput struct {
	Pod *v1.Pod // nil when the pod was deleted
	// Finished says the pod's source reports it Succeeded or Failed: it
	// runs nothing any more (DesiredPod.Finished).
	Finished bool
	Observed *observedPod
	Now      time.Time
	// RestartDelay is the current crash back-off of a container key.
	RestartDelay func(key string) time.Duration
	// LivenessFailed says whether a running container failed its liveness
	// or startup probe; nil means no probe ever fails.
	LivenessFailed func(containerID string) (prober.Restart, bool)
	// Started says whether a running container has started (its startup
	// probe passed, or it has none); nil means every running container has.
	// A sidecar's successors wait for it.
	Started func(spec *v1.Container, containerID string) bool
	// AgentStart is when this agent process began: a container created
	// before it that never started was cut short by the death of an
	// earlier agent (or of the runtime), see interruptedAsCreated.
	AgentStart time.Time
}

// computePodActions compares a pod's spec with what the runtime runs and
// returns the actions that close the gap. It is pure: same input, same plan.
func computePodActions(in planInput) podActions {
	if in.Pod == nil {
		return planDeletion(in.Observed)
	}
	in.Observed = interruptedAsCreated(in.Observed, in.AgentStart)
	obs, pod := in.Observed, in.Pod
	var a podActions
	sb := obs.currentSandbox()
	if in.Finished {
		planFinished(&a, pod, obs, sb)
		return a
	}

	if sb == nil || !sb.Ready {
		if sb != nil && sandboxDeathIsFinal(pod, obs, sb) {
			// What outlived the sandbox (its pause container died, say)
			// stops too, as the kubelet kills the pod: a finished pod
			// runs nothing.
			a.Terminal = true
			stopEverything(&a, obs)
			planGarbage(&a, pod, obs, sb.ID)
			return a
		}
		planFreshSandbox(&a, pod, obs, sb)
		return a
	}
	a.SandboxID = sb.ID
	planOlderSandboxes(&a, pod, obs)

	if podIsTerminal(pod, obs, sb.ID) {
		a.Terminal = true
		killRunning(&a, obs, sb.ID, "pod finished")
		a.SandboxesToStop = append(a.SandboxesToStop, sb.ID)
		planGarbage(&a, pod, obs, sb.ID)
		return a
	}
	if planInitContainers(&a, in, sb.ID) {
		planAppContainers(&a, in, sb.ID)
	}
	planEphemeralContainers(&a, in, sb.ID)
	planGarbage(&a, pod, obs, sb.ID)
	return a
}

// planFinished is the kubelet's terminated pod: one its source reports
// Succeeded or Failed (after an agent restart, or a pod rejected before it
// ran) gets no sandbox and no container, whatever its restart policy and
// whatever the runtime lost of it. What still runs stops, the sandbox too
// (the runtime releases its IP then), and the newest dead instance of each
// container stays, with its logs, until the pod is deleted.
func planFinished(a *podActions, pod *v1.Pod, obs *observedPod, sb *observedSandbox) {
	a.Terminal = true
	for _, c := range obs.Containers {
		switch c.State {
		case runtimeapi.ContainerState_CONTAINER_EXITED:
		case runtimeapi.ContainerState_CONTAINER_CREATED:
			// Never ran, so it has no logs to keep; a stop may leave it
			// created, and it would be stopped again on every sync.
			a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "pod finished"})
			a.ContainersToRemove = append(a.ContainersToRemove, c.ID)
		default:
			a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "pod finished"})
		}
	}
	for _, s := range obs.Sandboxes {
		if s.Ready {
			a.SandboxesToStop = append(a.SandboxesToStop, s.ID)
		}
	}
	current := ""
	if sb != nil {
		current = sb.ID
	}
	planGarbage(a, pod, obs, current)
}

// planDeletion tears everything down in two steps: while anything runs,
// it stops containers and sandboxes and removes nothing; once nothing
// runs, it removes them. In between the exited containers are still there
// to read, so the pod's final status (exit codes, finish times) can be
// told before they go, as the kubelet sends it before deleting the pod.
func planDeletion(obs *observedPod) podActions {
	a := podActions{Deleted: true}
	for _, c := range obs.Containers {
		if c.State != runtimeapi.ContainerState_CONTAINER_EXITED {
			a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "pod deleted"})
		}
	}
	for _, s := range obs.Sandboxes {
		if s.Ready {
			a.SandboxesToStop = append(a.SandboxesToStop, s.ID)
		}
	}
	if !runsAnything(obs) {
		removeEverything(&a, obs)
	}
	return a
}

// planDeletionAtOnce stops and removes everything in one plan, for a pod
// with no final status to tell (a static pod keeps its phase): reading
// the stopped containers between the two steps of planDeletion would cost
// it one more observation of the runtime for nothing.
func planDeletionAtOnce(obs *observedPod) podActions {
	a := planDeletion(obs)
	if runsAnything(obs) {
		removeEverything(&a, obs)
	}
	return a
}

// removeEverything plans the removal of every container and sandbox.
func removeEverything(a *podActions, obs *observedPod) {
	for _, c := range obs.Containers {
		a.ContainersToRemove = append(a.ContainersToRemove, c.ID)
	}
	for _, s := range obs.Sandboxes {
		a.SandboxesToRemove = append(a.SandboxesToRemove, s.ID)
	}
}

// runsAnything says whether a container of the pod runs or a sandbox is
// ready. A container that never ran (created, or of unknown state) does
// not count: it has nothing to tell, and a runtime may leave it as it is
// when asked to stop it, so it must not hold a removal back.
func runsAnything(obs *observedPod) bool {
	for _, c := range obs.Containers {
		if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			return true
		}
	}
	for _, s := range obs.Sandboxes {
		if s.Ready {
			return true
		}
	}
	return false
}

// planFreshSandbox starts the pod over in a new sandbox: the old one is
// missing or died, so whatever still runs in it is stopped.
func planFreshSandbox(a *podActions, pod *v1.Pod, obs *observedPod, old *observedSandbox) {
	a.CreateSandbox = true
	if old != nil {
		a.SandboxAttempt = old.Attempt + 1
	}
	stopEverything(a, obs)
	if len(pod.Spec.InitContainers) > 0 {
		ic := &pod.Spec.InitContainers[0]
		a.InitsToStart = []containerStart{startOf(ic, translate.ContainerTypeInit, obs.nextRestartCount(ic.Name))}
		return
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		a.ContainersToStart = append(a.ContainersToStart, startOf(c, translate.ContainerTypeApp, obs.nextRestartCount(c.Name)))
	}
}

// stopEverything stops whatever of the pod still runs, in any sandbox:
// every running container, then every ready sandbox.
func stopEverything(a *podActions, obs *observedPod) {
	for _, c := range obs.Containers {
		if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING || c.State == runtimeapi.ContainerState_CONTAINER_UNKNOWN {
			a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "pod sandbox changed"})
		}
	}
	for _, s := range obs.Sandboxes {
		if s.Ready {
			a.SandboxesToStop = append(a.SandboxesToStop, s.ID)
		}
	}
}

// sandboxDeathIsFinal is the kubelet's rule: a pod that must not restart
// gets no new sandbox once its containers have run.
func sandboxDeathIsFinal(pod *v1.Pod, obs *observedPod, sb *observedSandbox) bool {
	if podIsTerminal(pod, obs, sb.ID) {
		return true
	}
	if pod.Spec.RestartPolicy != v1.RestartPolicyNever {
		return false
	}
	for _, c := range obs.Containers {
		// An ephemeral container ran in it, not the pod: it may have been
		// added while the pod initialized.
		if c.SandboxID == sb.ID && c.Type != translate.ContainerTypeInit && c.Type != translate.ContainerTypeEphemeral {
			return true
		}
	}
	return false
}

// planOlderSandboxes stops sandboxes other than the current one and removes
// them once the current sandbox has an instance of every container, so the
// restart counts they carry are not lost before then. One holding the last
// instance of an ephemeral container stays until the pod goes, as under
// the kubelet: that instance is all that says it ran, and it never runs
// again.
func planOlderSandboxes(a *podActions, pod *v1.Pod, obs *observedPod) {
	if len(obs.Sandboxes) < 2 {
		return
	}
	current := obs.Sandboxes[0].ID
	replaced := true
	for i := range pod.Spec.Containers {
		if obs.latest(pod.Spec.Containers[i].Name, current) == nil {
			replaced = false
		}
	}
	for _, s := range obs.Sandboxes[1:] {
		killRunning(a, obs, s.ID, "pod sandbox changed")
		if s.Ready {
			a.SandboxesToStop = append(a.SandboxesToStop, s.ID)
		}
		if replaced && !holdsLastEphemeral(pod, obs, s.ID) {
			a.SandboxesToRemove = append(a.SandboxesToRemove, s.ID)
		}
	}
}

func killRunning(a *podActions, obs *observedPod, sandboxID, reason string) {
	for _, c := range obs.Containers {
		if c.SandboxID != sandboxID {
			continue
		}
		if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING || c.State == runtimeapi.ContainerState_CONTAINER_UNKNOWN {
			a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: reason})
		}
	}
}

func planAppContainers(a *podActions, in planInput, sandboxID string) {
	pod, obs := in.Pod, in.Observed
	for i := range pod.Spec.Containers {
		spec := &pod.Spec.Containers[i]
		c := obs.latest(spec.Name, sandboxID)
		switch {
		case c == nil:
			a.ContainersToStart = append(a.ContainersToStart, startOf(spec, translate.ContainerTypeApp, obs.nextRestartCount(spec.Name)))
		case c.State == runtimeapi.ContainerState_CONTAINER_RUNNING && livenessFailed(in, c.ID):
			restart, _ := in.LivenessFailed(c.ID)
			a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: restart.Message, GracePeriod: restart.GracePeriodSeconds})
			if pod.Spec.RestartPolicy != v1.RestartPolicyNever {
				planLivenessRestart(a, in, spec)
			}
		case c.State == runtimeapi.ContainerState_CONTAINER_RUNNING:
			if specChanged(c, spec) {
				a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "container spec changed"})
				a.ContainersToStart = append(a.ContainersToStart, startOf(spec, translate.ContainerTypeApp, obs.nextRestartCount(spec.Name)))
			} else if restart := planResize(a, spec, c); restart {
				a.ContainersToStart = append(a.ContainersToStart, startOf(spec, translate.ContainerTypeApp, obs.nextRestartCount(spec.Name)))
			}
		case c.State == runtimeapi.ContainerState_CONTAINER_EXITED:
			if shouldRestart(pod.Spec.RestartPolicy, c.ExitCode) {
				planRestart(a, in, spec, translate.ContainerTypeApp, c)
			}
		default:
			a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "incomplete container"})
			a.ContainersToRemove = append(a.ContainersToRemove, c.ID)
			a.ContainersToStart = append(a.ContainersToStart, startOf(spec, translate.ContainerTypeApp, replacementRestartCount(obs, c)))
		}
	}
}

// replacementRestartCount is the restart count of the instance that
// replaces an incomplete one. A container created but never started (the
// agent died between CreateContainer and StartContainer) never ran, so its
// replacement is no restart and keeps its count; one in an unknown state
// may have run, and counts as restarted.
func replacementRestartCount(obs *observedPod, incomplete *observedContainer) int {
	if incomplete.State == runtimeapi.ContainerState_CONTAINER_CREATED {
		return incomplete.RestartCount
	}
	return obs.nextRestartCount(incomplete.Name)
}

// planRestart restarts an exited container now, or holds it in
// CrashLoopBackOff until its back-off since the last exit has passed.
func planRestart(a *podActions, in planInput, spec *v1.Container, kind translate.ContainerType, dead *observedContainer) {
	key := backoffKey(in.Pod, spec)
	delay := time.Duration(0)
	if in.RestartDelay != nil {
		delay = in.RestartDelay(key)
	}
	if wait := dead.FinishedAt.Add(delay).Sub(in.Now); delay > 0 && wait > 0 {
		holdInBackOff(a, in.Pod, spec.Name, delay, wait)
		return
	}
	start := startOf(spec, kind, in.Observed.nextRestartCount(spec.Name))
	start.BackoffKey = key
	if kind == translate.ContainerTypeInit {
		a.InitsToStart = append(a.InitsToStart, start)
		return
	}
	a.ContainersToStart = append(a.ContainersToStart, start)
}

func shouldRestart(policy v1.RestartPolicy, exitCode int32) bool {
	switch policy {
	case v1.RestartPolicyNever:
		return false
	case v1.RestartPolicyOnFailure:
		return exitCode != 0
	default:
		return true
	}
}

// podIsTerminal reports whether a pod whose restart policy allows it to
// finish has finished in the given sandbox. Its app containers alone
// decide: sidecars, restarted whatever the policy, would otherwise keep it
// alive for ever, so the kubelet stops them once the app containers are
// done.
func podIsTerminal(pod *v1.Pod, obs *observedPod, sandboxID string) bool {
	if pod.Spec.RestartPolicy == v1.RestartPolicyAlways || pod.Spec.RestartPolicy == "" {
		return false
	}
	for i := range pod.Spec.InitContainers {
		if isSidecar(&pod.Spec.InitContainers[i]) {
			continue // restarted whatever the pod's policy
		}
		c := obs.latest(pod.Spec.InitContainers[i].Name, sandboxID)
		if c != nil && c.State == runtimeapi.ContainerState_CONTAINER_EXITED && c.ExitCode != 0 && pod.Spec.RestartPolicy == v1.RestartPolicyNever {
			return true
		}
	}
	for i := range pod.Spec.Containers {
		c := obs.latest(pod.Spec.Containers[i].Name, sandboxID)
		if c == nil || c.State != runtimeapi.ContainerState_CONTAINER_EXITED {
			return false
		}
		if shouldRestart(pod.Spec.RestartPolicy, c.ExitCode) {
			return false
		}
	}
	return true
}

// planGarbage keeps, per container name, the newest dead instance (for
// status and `logs --previous`) and removes older ones.
func planGarbage(a *podActions, pod *v1.Pod, obs *observedPod, currentSandbox string) {
	planned := map[string]bool{}
	for _, id := range a.ContainersToRemove {
		planned[id] = true
	}
	keptDead := map[string]bool{}
	for _, c := range obs.Containers { // newest first
		if c.State != runtimeapi.ContainerState_CONTAINER_EXITED || planned[c.ID] {
			continue
		}
		if !keptDead[c.Name] && isSpecContainer(pod, c.Name) {
			keptDead[c.Name] = true
			continue
		}
		if c.SandboxID == currentSandbox && isLatestInSandbox(obs, c) {
			continue // still the container's current state
		}
		a.ContainersToRemove = append(a.ContainersToRemove, c.ID)
	}
}

func isLatestInSandbox(obs *observedPod, c observedContainer) bool {
	latest := obs.latest(c.Name, c.SandboxID)
	return latest != nil && latest.ID == c.ID
}

func isSpecContainer(pod *v1.Pod, name string) bool {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return true
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return true
		}
	}
	return isEphemeral(pod, name)
}

// backoffKey names a container's crash back-off: the pod's UID first (a
// deleted pod's keys go by that prefix), then the container's name and
// image, as the kubelet keys it by a hash of the two: a pod updated to
// another image restarts at once, its back-off begun anew.
func backoffKey(pod *v1.Pod, spec *v1.Container) string {
	return string(pod.UID) + "/" + spec.Name + "/" + spec.Image
}

// livenessFailed reports a running container whose liveness or startup
// probe failed: the kubelet kills it and restarts it unless restartPolicy
// is Never.
func livenessFailed(in planInput, containerID string) bool {
	if in.LivenessFailed == nil {
		return false
	}
	_, failed := in.LivenessFailed(containerID)
	return failed
}
