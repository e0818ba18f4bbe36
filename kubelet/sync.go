package kubelet

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/prober"
)

// Re-sync delays: after acting, look again soon so status catches up — not
// at once, so a burst of new pods is not slowed by status reads competing
// with the runtime's own work (the relister and events catch changes too);
// after a runtime error, retry soon; while an older version of the same pod
// still terminates, wait for it as the kubelet does for static pods.
const (
	resyncAfterAction   = 300 * time.Millisecond
	retryAfterError     = time.Second
	waitForOlderVersion = 100 * time.Millisecond
)

// syncPod is one pass of the level-triggered loop for one pod: observe the
// runtime, plan, act, record status.
func (k *Kubelet) syncPod(ctx context.Context, uid types.UID) (time.Duration, bool) {
	if waitRuntime(ctx, k.cfg.WaitRuntime) != nil {
		return retryAfterError, false
	}
	began := time.Now()
	k.mu.Lock()
	rec, ok := k.pods[uid]
	if !ok {
		k.mu.Unlock()
		return 0, true
	}
	pod, lastPod, finished := rec.desired, rec.lastPod, rec.finished
	var deadlineLeft time.Duration
	if pod != nil {
		deadlineLeft = k.checkDeadlineLocked(rec, pod)
	}
	if rec.deadlineExceeded && finished == "" {
		finished = v1.PodFailed
	}
	if pod == nil {
		k.notReadyWhileTerminatingLocked(rec)
	}
	resizeDeferred := false
	var allocationToSave allocation
	if pod != nil && finished == "" {
		// A pod beyond maxPods gets nothing, not even a runtime call. A
		// finished one starts nothing, so it needs no slot.
		if retry, admitted := k.admitLocked(rec, pod); !admitted {
			k.mu.Unlock()
			return retry, false
		}
		// From here on the sync acts on the allocated spec, which differs
		// from the source's while a resize waits for room.
		pod, resizeDeferred, allocationToSave = k.allocateLocked(rec, pod)
	}
	fresh := rec.fresh
	rec.fresh = false
	k.mu.Unlock()
	if allocationToSave != nil {
		k.saveAllocationOf(pod, allocationToSave)
	}

	operation := "sync"
	if pod == nil {
		operation = "terminate"
	}
	defer func() { k.cfg.Metrics.ObservePodWorker(operation, time.Since(began)) }()

	obs, err := k.observeUnlessNew(ctx, uid, fresh)
	if err != nil {
		if ctx.Err() == nil {
			warnUnlessOutage(k.log, err, "observing pod failed; will retry", "pod", podRef(lastPod, uid))
		}
		return retryAfterError, false
	}
	if pod != nil && k.olderVersionTerminating(pod) {
		return waitForOlderVersion, false
	}
	if pod != nil {
		k.forgetBackoffAfterLongRun(pod, obs)
		k.fillTerminationMessages(ctx, pod, obs)
	}
	specForActions := pod
	if specForActions == nil {
		specForActions = lastPod
	}
	if specForActions != nil {
		k.updateProbes(specForActions, obs)
	}
	if pod == nil {
		return k.syncDeleted(ctx, uid, lastPod, obs)
	}
	plan := computePodActions(planInput{Pod: pod, Finished: finished != "", Observed: obs, Now: k.cfg.Now(), RestartDelay: k.crashBackoff.Delay, AgentStart: k.started,
		LivenessFailed: func(id string) (prober.Restart, bool) { return k.probes.LivenessFailed(uid, id) },
		Started:        func(spec *v1.Container, id string) bool { return k.probes.Started(uid, spec, id) }})
	// The kubelet records a pod's status, stamped with the generation it now
	// acts on, before it acts: stopping a container for a new image can take
	// its whole grace period, while clients wait to see the update observed.
	earlyFinished := false
	if k.generationUnobserved(uid, pod) {
		earlyFinished = k.recordStatus(uid, pod, obs, &plan)
	}
	res := k.execute(ctx, uid, specForActions, obs, &plan)

	if justFinished := k.recordStatus(uid, pod, obs, &plan); justFinished || earlyFinished {
		k.wakeWaitingForSlot()
	}
	if resizeDeferred && (plan.RequeueAfter == 0 || deferredResizeRetry < plan.RequeueAfter) {
		plan.RequeueAfter = deferredResizeRetry
	}
	if deadlineLeft > 0 && (plan.RequeueAfter == 0 || deadlineLeft < plan.RequeueAfter) {
		plan.RequeueAfter = deadlineLeft // wake when the deadline passes
	}
	switch {
	case res.changed:
		return resyncAfterAction, false
	case res.retryAfter > 0 && (plan.RequeueAfter == 0 || res.retryAfter < plan.RequeueAfter):
		return res.retryAfter, false
	default:
		return plan.RequeueAfter, false
	}
}

// generationUnobserved reports whether the pod's recorded status is of an
// older generation of its spec than pod.
func (k *Kubelet) generationUnobserved(uid types.UID, pod *v1.Pod) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec, ok := k.pods[uid]
	return ok && rec.status.ObservedGeneration < pod.Generation
}

// observeUnlessNew skips asking the runtime about a pod that just came from
// the manifests when a relist already showed the runtime holds nothing of
// it: the first sync of a new pod goes straight to creating its sandbox.
func (k *Kubelet) observeUnlessNew(ctx context.Context, uid types.UID, fresh bool) (*observedPod, error) {
	if fresh && k.relister.unseen(uid) {
		return &observedPod{}, nil
	}
	return k.observe(ctx, uid)
}

// olderVersionTerminating reports whether another UID with the same
// namespace/name is still being torn down: an edited manifest is a new pod,
// and the new one starts only after the old one is gone, so the two never
// fight over ports or names.
func (k *Kubelet) olderVersionTerminating(pod *v1.Pod) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for uid, rec := range k.pods {
		if uid == pod.UID || rec.desired != nil || rec.lastPod == nil {
			continue
		}
		if rec.lastPod.Name == pod.Name && rec.lastPod.Namespace == pod.Namespace {
			return true
		}
	}
	return false
}

// forgetBackoffAfterLongRun resets a container's crash back-off once an
// instance ran for 10 minutes, so a rare crash restarts at once again.
func (k *Kubelet) forgetBackoffAfterLongRun(pod *v1.Pod, obs *observedPod) {
	const longRun = 10 * time.Minute
	now := k.cfg.Now()
	for _, c := range obs.Containers {
		if c.StartedAt.IsZero() {
			continue
		}
		end := c.FinishedAt
		if end.IsZero() {
			end = now
		}
		if spec := specContainer(pod, c.Name); spec != nil && end.Sub(c.StartedAt) >= longRun {
			k.crashBackoff.Reset(backoffKey(pod, spec))
		}
	}
}

// syncDeleted tears a deleted pod down: it stops what runs, records the
// pod's final status from the stopped containers (recordFinalStatus),
// removes them and the sandboxes, then the pod's files (finishDeletion).
// Two steps of planDeletion, each checked by a new look at the runtime.
func (k *Kubelet) syncDeleted(ctx context.Context, uid types.UID, lastPod *v1.Pod, obs *observedPod) (time.Duration, bool) {
	tellsFinal := k.tellsFinalStatus(uid)
	for range 2 {
		if !runsAnything(obs) {
			k.recordFinalStatus(uid, lastPod, obs)
		}
		planFor := planDeletionAtOnce
		if tellsFinal {
			planFor = planDeletion
		}
		plan := planFor(obs)
		if res := k.execute(ctx, uid, lastPod, obs, &plan); res.err != nil || ctx.Err() != nil {
			return retryAfterError, false
		}
		var err error
		if obs, err = k.observe(ctx, uid); err != nil {
			return retryAfterError, false
		}
		if len(obs.Sandboxes) == 0 && len(obs.Containers) == 0 {
			return k.finishDeletion(uid, lastPod)
		}
	}
	return retryAfterError, false // something reappeared or is still going
}

// finishDeletion removes what the runtime does not: volumes, logs, the pod
// cgroup; then forgets the pod, keeping its final status.
func (k *Kubelet) finishDeletion(uid types.UID, lastPod *v1.Pod) (time.Duration, bool) {
	if err := k.removePodResources(uid); err != nil {
		k.log.Warn("removing pod files failed; will retry", "pod", podRef(lastPod, uid), "err", err)
		return retryAfterError, false
	}
	k.mu.Lock()
	rec, ok := k.pods[uid]
	if ok && rec.desired != nil {
		k.mu.Unlock()
		return resyncAfterAction, false // wanted again meanwhile
	}
	if ok {
		k.keepFinalStatusLocked(uid, rec)
	}
	delete(k.pods, uid)
	k.removed[uid] = true
	k.probes.RemovePod(uid)
	k.bump(nil)
	k.mu.Unlock()
	k.crashBackoff.ResetPrefix(string(uid) + "/")
	k.startRetry.ResetPrefix("start/" + string(uid) + "/")
	k.startRetry.Reset("sandbox/" + string(uid))
	k.log.Info("pod removed", "pod", podRef(lastPod, uid))
	k.wakeWaitingForSlot()
	k.retryDeferredResizes()
	return 0, true
}
