package kubelet

import (
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
)

// ReasonCreatePodSandbox is the waiting reason of a pod's containers while
// its sandbox cannot be made (the kubelet's CreatePodSandboxError), with
// the runtime's message: a missing CNI plugin, a full disk.
const ReasonCreatePodSandbox = "CreatePodSandboxError"

// EventFailedCreatePodSandbox is the kubelet's event for the same.
const EventFailedCreatePodSandbox = "FailedCreatePodSandBox"

// retryWhileReserved is how soon a sync looks again after the runtime said
// the sandbox's or container's name is taken by a request still under way.
const retryWhileReserved = 500 * time.Millisecond

// nameReserved reports the runtime's answer that a sandbox or container of
// this name is being made already: by a request of this agent's previous
// life (killed mid-call) that the runtime still carries out. It is no
// failure: the object shows up in a list soon, and the pod adopts it.
// containerd says "name %q is reserved for %q", CRI-O "name is reserved".
func nameReserved(err error) bool {
	return err != nil && strings.Contains(err.Error(), "is reserved")
}

// sandboxFailed records why a pod's sandbox could not be made and returns
// when to try again. A name still reserved by a request under way is
// waited for quietly; any other failure shows in every container's status
// with the runtime's message, as an event and a log line, and backs off.
func (k *Kubelet) sandboxFailed(pod *v1.Pod, err error) time.Duration {
	if nameReserved(err) {
		k.log.Debug("the runtime is still making this pod's sandbox (a request from before a restart); waiting for it",
			"pod", podRef(pod, pod.UID), "err", err)
		return retryWhileReserved
	}
	k.setAllWaiting(pod, waitingState{Reason: ReasonCreatePodSandbox, Message: err.Error()})
	k.addEvent(pod.UID, Event{Type: v1.EventTypeWarning, Reason: EventFailedCreatePodSandbox, Message: err.Error()})
	warnUnlessOutage(k.log, err, "creating pod sandbox failed", "pod", podRef(pod, pod.UID))
	return k.startRetry.Next("sandbox/" + string(pod.UID))
}

// sandboxHeld is how much longer a pod whose sandbox failed must wait
// before the next try. The back-off must be kept here, not only by the
// requeue: every failed try leaves the runtime's half-made sandbox to be
// listed and removed, and the relist wakes the pod for each change.
func (k *Kubelet) sandboxHeld(pod *v1.Pod) time.Duration {
	return k.startRetry.Remaining("sandbox/" + string(pod.UID))
}

// sandboxMade forgets the back-off and the waiting reasons that said why
// the pod had no sandbox.
func (k *Kubelet) sandboxMade(pod *v1.Pod) {
	k.startRetry.Reset("sandbox/" + string(pod.UID))
	k.mu.Lock()
	defer k.mu.Unlock()
	rec, ok := k.pods[pod.UID]
	if !ok {
		return
	}
	for name, w := range rec.waiting {
		if w.Reason == ReasonCreatePodSandbox || w.Reason == ReasonNetworkNotReady {
			delete(rec.waiting, name)
		}
	}
}
