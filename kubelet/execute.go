package kubelet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// execResult says what carrying out a plan did.
type execResult struct {
	changed    bool          // the runtime was changed; look again
	retryAfter time.Duration // something failed and should be retried then
	err        error         // the first failure, for deletion bookkeeping
}

func (r *execResult) fail(err error, after time.Duration) {
	if r.err == nil {
		r.err = err
	}
	if r.retryAfter == 0 || after < r.retryAfter {
		r.retryAfter = after
	}
}

// sandboxRef is a ready sandbox new containers go into.
type sandboxRef struct {
	ID     string
	Config *runtimeapi.PodSandboxConfig
	IPs    []string
}

// execute carries out a plan in the kubelet's order: kill, stop, remove,
// then create the sandbox, then init or app containers, then ephemeral
// containers, which an init container that fails to start does not hold
// back (they are there to debug such a pod). pod is the spec to
// act on (the last known one for a deleted pod; nil for an adopted orphan).
func (k *Kubelet) execute(ctx context.Context, uid types.UID, pod *v1.Pod, obs *observedPod, plan *podActions) execResult {
	var res execResult
	k.killContainers(ctx, uid, pod, obs, plan.ContainersToKill, &res)
	for _, id := range plan.SandboxesToStop {
		if err := k.cfg.Runtime.StopPodSandbox(ctx, id); err != nil && !isNotFound(err) {
			res.fail(fmt.Errorf("stopping sandbox %s: %w", id, err), retryAfterError)
			continue
		}
		res.changed = true
	}
	// A container or sandbox that could not be stopped may still run, so
	// nothing new starts beside it; garbage that cannot be removed (a
	// sandbox a crashed runtime cannot tear down) must not hold the pod
	// back, and its removal is retried on the next sync.
	stopFailed := res.err != nil
	for _, id := range plan.ContainersToRemove {
		if err := k.cfg.Runtime.RemoveContainer(ctx, id); err != nil && !isNotFound(err) {
			res.fail(fmt.Errorf("removing container %s: %w", id, err), retryAfterError)
			continue
		}
		res.changed = true
	}
	for _, id := range plan.SandboxesToRemove {
		if err := k.cfg.Runtime.RemovePodSandbox(ctx, id); err != nil && !isNotFound(err) {
			res.fail(fmt.Errorf("removing sandbox %s: %w", id, err), retryAfterError)
			continue
		}
		res.changed = true
	}
	if stopFailed || plan.Deleted || plan.Terminal || pod == nil {
		return res
	}
	k.resizeContainers(ctx, pod, plan.ContainersToResize, plan.Resizing, &res)

	sb, ok := k.sandboxForStart(ctx, pod, obs, plan, &res)
	if !ok {
		return res
	}
	if k.startInitContainers(ctx, pod, sb, plan.InitsToStart, &res) {
		k.startContainers(ctx, pod, sb, plan.ContainersToStart, &res)
	}
	k.startContainers(ctx, pod, sb, plan.EphemeralToStart, &res)
	return res
}

// startInitContainers starts init containers one after the other, as the
// kubelet does. A regular one that fails to start holds back everything
// after it; a sidecar that fails does not, as it is retried on its own.
func (k *Kubelet) startInitContainers(ctx context.Context, pod *v1.Pod, sb sandboxRef, starts []containerStart, res *execResult) bool {
	for _, start := range starts {
		var r execResult
		k.startContainer(ctx, pod, sb, start, &r)
		res.changed = res.changed || r.changed
		if r.err == nil {
			continue
		}
		res.fail(r.err, r.retryAfter)
		if !isSidecar(start.Spec) {
			return false
		}
	}
	return true
}

// sandboxForStart returns the sandbox to start containers in, creating it
// when the plan says so.
func (k *Kubelet) sandboxForStart(ctx context.Context, pod *v1.Pod, obs *observedPod, plan *podActions, res *execResult) (sandboxRef, bool) {
	if !plan.CreateSandbox {
		if len(plan.InitsToStart) == 0 && len(plan.ContainersToStart) == 0 && len(plan.EphemeralToStart) == 0 {
			return sandboxRef{}, false
		}
		current := obs.currentSandbox()
		config, err := k.sandboxConfig(pod, current.Attempt)
		if err != nil {
			res.fail(err, retryAfterError)
			return sandboxRef{}, false
		}
		if err := k.ensureEtcHosts(pod, current.IPs); err != nil {
			res.fail(err, k.sandboxFailed(pod, err))
			return sandboxRef{}, false
		}
		k.sandboxMade(pod)
		return sandboxRef{ID: current.ID, Config: config, IPs: current.IPs}, true
	}
	if !pod.Spec.HostNetwork && k.cfg.NetworkReady != nil {
		if err := k.cfg.NetworkReady(ctx); err != nil {
			k.setAllWaiting(pod, waitingState{Reason: ReasonNetworkNotReady, Message: err.Error()})
			res.fail(fmt.Errorf("pod network not ready: %w", err), retryAfterError)
			return sandboxRef{}, false
		}
	}
	if left := k.sandboxHeld(pod); left > 0 {
		res.fail(fmt.Errorf("pod sandbox: %w", errHeld), left)
		return sandboxRef{}, false
	}
	sb, err := k.runSandbox(ctx, pod, plan.SandboxAttempt)
	if err != nil {
		res.fail(err, k.sandboxFailed(pod, err))
		return sandboxRef{}, false
	}
	k.sandboxMade(pod)
	res.changed = true
	if translate.ExpectsClusterDNS(pod) {
		k.addEvent(pod.UID, Event{Type: v1.EventTypeWarning, Reason: "MissingClusterDNS",
			Message: `pod: "` + pod.Name + `". minikubelet has no cluster DNS; the "ClusterFirst" policy falls back to the node's resolver ("Default").`})
	}
	if plan.SandboxAttempt > 0 {
		k.addEvent(pod.UID, Event{Type: v1.EventTypeNormal, Reason: EventSandbox, Message: "Pod sandbox changed, it will be killed and re-created."})
	}
	return sb, true
}

// killContainers stops containers concurrently, each with the pod's grace
// period; the runtime sends SIGTERM, then SIGKILL when the period is over.
// Sidecars stop last, in reverse order (killOrder).
func (k *Kubelet) killContainers(ctx context.Context, uid types.UID, pod *v1.Pod, obs *observedPod, kills []containerKill, res *execResult) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	deletion := k.deletionGrace(uid)
	order := newKillOrder(pod, kills)
	for _, kill := range kills {
		grace := translate.KillGrace(graceFor(pod, obs, kill.ID), deletion, kill.GracePeriod)
		wg.Add(1)
		go func() {
			defer wg.Done()
			k.addEvent(uid, Event{Type: v1.EventTypeNormal, Reason: EventKilling, Container: kill.Name,
				Message: fmt.Sprintf("Stopping container %s (%s)", kill.Name, kill.Reason)})
			grace := k.runPreStop(ctx, pod, obs, kill, grace)
			grace = order.waitForTurn(ctx, kill.ID, grace)
			err := k.cfg.Runtime.StopContainer(ctx, kill.ID, grace)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && !isNotFound(err) {
				res.fail(fmt.Errorf("stopping container %s (%s): %w", kill.Name, kill.ID, err), retryAfterError)
				return
			}
			order.stopped(kill.ID)
			res.changed = true
		}()
	}
	wg.Wait()
}

func graceFor(pod *v1.Pod, obs *observedPod, containerID string) int64 {
	if pod != nil {
		return translate.PodGracePeriodSeconds(pod)
	}
	for _, c := range obs.Containers {
		if c.ID == containerID {
			return c.GracePeriod
		}
	}
	return translate.MinGracePeriodSeconds
}

// startContainers starts app (or ephemeral) containers concurrently: they
// do not depend on each other, and one failing does not hold back the rest.
func (k *Kubelet) startContainers(ctx context.Context, pod *v1.Pod, sb sandboxRef, starts []containerStart, res *execResult) {
	var wg sync.WaitGroup
	results := make([]execResult, len(starts))
	for i, start := range starts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k.startContainer(ctx, pod, sb, start, &results[i])
		}()
	}
	wg.Wait()
	for _, r := range results {
		res.changed = res.changed || r.changed
		if r.err != nil {
			res.fail(r.err, r.retryAfter)
		}
	}
}

// errHeld marks an attempt skipped because its back-off has not ended.
var errHeld = errors.New("held back by back-off")
