package kubelet

import (
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// planLivenessRestart restarts a container that its liveness probe has just
// had killed, under the same back-off as a container that crashed: at once
// the first time, then only after 10 s, 20 s, ... up to 5 minutes, as the
// kubelet's CrashLoopBackOff does. Without it, a probe that never passes
// restarts its container every period for as long as the pod lives, each
// restart a container created and removed in the runtime.
//
// A held restart happens on a later sync, which finds the killed container
// exited and restarts it through planRestart once the delay has passed
// since it ended (so, as under the kubelet, a container that exits 0 on
// SIGTERM under restartPolicy OnFailure stays down).
func planLivenessRestart(a *podActions, in planInput, spec *v1.Container) {
	key := backoffKey(in.Pod, spec)
	if in.RestartDelay != nil {
		if delay := in.RestartDelay(key); delay > 0 {
			holdInBackOff(a, in.Pod, spec.Name, delay, delay)
			return
		}
	}
	start := startOf(spec, translate.ContainerTypeApp, in.Observed.nextRestartCount(spec.Name))
	start.BackoffKey = key
	a.ContainersToStart = append(a.ContainersToStart, start)
}

// holdInBackOff shows the container waiting in CrashLoopBackOff and syncs
// the pod again when its wait is over.
func holdInBackOff(a *podActions, pod *v1.Pod, name string, delay, wait time.Duration) {
	if a.Waiting == nil {
		a.Waiting = map[string]waitingState{}
	}
	a.Waiting[name] = waitingState{
		Reason:  ReasonCrashLoopBackOff,
		Message: "back-off " + delay.String() + " restarting failed container=" + name + " pod=" + pod.Name + "_" + pod.Namespace + "(" + string(pod.UID) + ")",
	}
	if a.RequeueAfter == 0 || wait < a.RequeueAfter {
		a.RequeueAfter = wait
	}
}
