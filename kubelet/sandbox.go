package kubelet

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// sandboxConfig is the pod's sandbox config, with the node's resolver
// settings read afresh.
func (k *Kubelet) sandboxConfig(pod *v1.Pod, attempt uint32) (*runtimeapi.PodSandboxConfig, error) {
	node := k.node()
	dns, err := k.hostDNS(pod)
	if err != nil {
		return nil, err
	}
	node.HostDNS = dns
	return translate.SandboxConfig(node, pod, attempt), nil
}

// runSandbox prepares the host for the pod and asks the runtime for a
// sandbox, returning it with its IPs.
func (k *Kubelet) runSandbox(ctx context.Context, pod *v1.Pod, attempt uint32) (sandboxRef, error) {
	config, err := k.sandboxConfig(pod, attempt)
	if err != nil {
		return sandboxRef{}, err
	}
	if err := k.prepareSandboxHost(pod, config.LogDirectory); err != nil {
		return sandboxRef{}, err
	}
	handler := translate.RuntimeHandler(k.cfg.RuntimeHandler, pod)
	began := time.Now()
	release := holdCancel(ctx) // see cancelhold.go
	id, err := k.cfg.Runtime.RunPodSandbox(ctx, config, handler)
	release()
	k.cfg.Metrics.ObserveRunPodSandbox(handler, time.Since(began))
	if err != nil {
		return sandboxRef{}, fmt.Errorf("creating pod sandbox: %w", err)
	}
	sb := sandboxRef{ID: id, Config: config}
	if !pod.Spec.HostNetwork {
		resp, err := k.cfg.Runtime.PodSandboxStatus(ctx, id, false)
		if err != nil {
			return sandboxRef{}, fmt.Errorf("reading new sandbox %s: %w", id, err)
		}
		sb.IPs = sandboxIPs(resp.GetStatus())
	}
	if err := k.writeEtcHosts(pod, sb.IPs); err != nil {
		return sandboxRef{}, err
	}
	k.log.Info("pod sandbox started", "pod", podRef(pod, pod.UID), "sandbox", shortID(id), "ips", sb.IPs, "attempt", attempt)
	return sb, nil
}
