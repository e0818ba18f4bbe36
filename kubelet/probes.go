package kubelet

import (
	"context"
	"errors"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/prober"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// Probes runs containers' probes and lifecycle hooks; *prober.Manager
// implements it.
type Probes interface {
	UpdatePod(pod *v1.Pod, podIP string, running []prober.RunningContainer)
	RemovePod(uid types.UID)
	Ready(uid types.UID, spec *v1.Container, containerID string) bool
	Started(uid types.UID, spec *v1.Container, containerID string) bool
	LivenessFailed(uid types.UID, containerID string) (prober.Restart, bool)
	RunLifecycleHandler(ctx context.Context, pod *v1.Pod, podIP, containerID string, container *v1.Container, h *v1.LifecycleHandler) (string, error)
	Stop()
}

// newProbes builds the prober; its results re-sync the pod and its
// warnings become the pod's events.
func (k *Kubelet) newProbes() (Probes, error) {
	exec := k.cfg.Exec
	if exec == nil {
		exec = noExec{}
	}
	return prober.NewManager(prober.Config{
		Runtime: exec, Registerer: k.cfg.Registerer, Logger: k.cfg.Logger.With("component", "prober"),
		OnChange: k.workers.enqueue,
		OnEvent: func(e prober.Event) {
			k.addEvent(e.PodUID, Event{Type: v1.EventTypeWarning, Reason: e.Reason, Container: e.Container, Message: e.Message})
		},
	})
}

// updateProbes hands the prober the containers running in the current
// sandbox, so workers start for new instances and stop for gone ones.
func (k *Kubelet) updateProbes(pod *v1.Pod, obs *observedPod) {
	sb := obs.currentSandbox()
	var running []prober.RunningContainer
	for _, c := range obs.Containers {
		if sb != nil && c.SandboxID == sb.ID && c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			running = append(running, prober.RunningContainer{Name: c.Name, ID: c.ID, StartedAt: c.StartedAt})
		}
	}
	k.probes.UpdatePod(pod, podIP(obs), running)
}

func podIP(obs *observedPod) string {
	if sb := obs.currentSandbox(); sb != nil && sb.Ready && len(sb.IPs) > 0 {
		return sb.IPs[0]
	}
	return ""
}

// runPreStop runs a running container's preStop hook inside its grace
// period and returns the grace left for SIGTERM, never below the
// kubelet's 2 s minimum.
func (k *Kubelet) runPreStop(ctx context.Context, pod *v1.Pod, obs *observedPod, kill containerKill, grace int64) int64 {
	if pod == nil {
		return grace
	}
	spec := specContainer(pod, kill.Name)
	if spec == nil || spec.Lifecycle == nil || spec.Lifecycle.PreStop == nil || !isRunning(obs, kill.ID) {
		return grace
	}
	began := time.Now()
	hookCtx, cancel := context.WithTimeout(ctx, translate.GraceDuration(grace))
	defer cancel()
	msg, err := k.probes.RunLifecycleHandler(hookCtx, pod, podIP(obs), kill.ID, spec, spec.Lifecycle.PreStop)
	if err != nil {
		k.addEvent(pod.UID, Event{Type: v1.EventTypeWarning, Reason: prober.EventFailedPreStopHook, Container: kill.Name, Message: msg})
		k.log.Warn("preStop hook failed", "pod", podRef(pod, pod.UID), "container", kill.Name, "err", err)
	}
	left := grace - int64(time.Since(began).Seconds())
	return max(left, translate.MinGracePeriodSeconds)
}

// runPostStart runs the postStart hook of a just-started container; when
// it fails, the container is killed, as under the kubelet, and restarts
// per restartPolicy.
func (k *Kubelet) runPostStart(ctx context.Context, pod *v1.Pod, sb sandboxRef, spec *v1.Container, id string) error {
	if spec.Lifecycle == nil || spec.Lifecycle.PostStart == nil {
		return nil
	}
	ip := ""
	if len(sb.IPs) > 0 {
		ip = sb.IPs[0]
	}
	msg, err := k.probes.RunLifecycleHandler(ctx, pod, ip, id, spec, spec.Lifecycle.PostStart)
	if err == nil {
		return nil
	}
	k.addEvent(pod.UID, Event{Type: v1.EventTypeWarning, Reason: prober.EventFailedPostStartHook, Container: spec.Name, Message: msg})
	if stopErr := k.cfg.Runtime.StopContainer(ctx, id, translate.PodGracePeriodSeconds(pod)); stopErr != nil && !isNotFound(stopErr) {
		return fmt.Errorf("postStart hook of container %s failed (%w), and stopping it failed: %v", spec.Name, err, stopErr)
	}
	return fmt.Errorf("postStart hook of container %s failed: %w", spec.Name, err)
}

func isRunning(obs *observedPod, id string) bool {
	for _, c := range obs.Containers {
		if c.ID == id {
			return c.State == runtimeapi.ContainerState_CONTAINER_RUNNING
		}
	}
	return false
}

// noExec stands in when the sync loop was given no exec runtime: exec
// probes and hooks report why they cannot run.
type noExec struct{}

func (noExec) ExecSync(context.Context, string, []string, time.Duration) ([]byte, []byte, error) {
	return nil, nil, errors.New("no exec runtime is configured (kubelet.Config.Exec)")
}
