package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// podLogDir is the kubelet's layout: <root>/<namespace>_<name>_<uid>.
func (k *Kubelet) podLogDir(pod *v1.Pod) string {
	return filepath.Join(k.cfg.PodLogDir, fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID))
}

// podDir holds the pod's volumes and managed files.
func (k *Kubelet) podDir(uid types.UID) string {
	return filepath.Join(k.cfg.RootDir, "pods", string(uid))
}

// podCgroupParent is the pod-level cgroup the runtime nests containers in.
func (k *Kubelet) podCgroupParent(uid types.UID) string {
	if k.cfg.CgroupParent == "" {
		return ""
	}
	return filepath.Join(k.cfg.CgroupParent, "pod"+string(uid))
}

// sandboxConfig describes the pod to the runtime. It depends only on the
// pod and the attempt, so containers can be created in an existing sandbox
// with the same config the sandbox was made from.
func (k *Kubelet) sandboxConfig(pod *v1.Pod, attempt uint32) (*runtimeapi.PodSandboxConfig, error) {
	config := &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{
			Name: pod.Name, Namespace: pod.Namespace, Uid: string(pod.UID), Attempt: attempt,
		},
		LogDirectory: k.podLogDir(pod),
		Labels:       sandboxLabels(pod, k.cfg.NodeName),
		Annotations:  sandboxAnnotations(pod),
		PortMappings: portMappings(pod),
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			CgroupParent:    k.podCgroupParent(pod.UID),
			SecurityContext: sandboxSecurityContext(pod),
			Sysctls:         podSysctls(pod),
		},
	}
	if !pod.Spec.HostNetwork {
		// A host-network pod shares the node's UTS namespace and name.
		config.Hostname = podHostname(pod)
		dns, err := k.dnsConfig(pod)
		if err != nil {
			return nil, err
		}
		config.DnsConfig = dns
	}
	return config, nil
}

func podHostname(pod *v1.Pod) string {
	name := pod.Name
	if pod.Spec.Hostname != "" {
		name = pod.Spec.Hostname
	}
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

func namespaceOptions(pod *v1.Pod) *runtimeapi.NamespaceOption {
	opts := &runtimeapi.NamespaceOption{
		Network: runtimeapi.NamespaceMode_POD,
		Pid:     runtimeapi.NamespaceMode_CONTAINER,
		Ipc:     runtimeapi.NamespaceMode_POD,
	}
	if pod.Spec.HostNetwork {
		opts.Network = runtimeapi.NamespaceMode_NODE
	}
	if pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace {
		opts.Pid = runtimeapi.NamespaceMode_POD
	}
	if pod.Spec.HostPID {
		opts.Pid = runtimeapi.NamespaceMode_NODE
	}
	if pod.Spec.HostIPC {
		opts.Ipc = runtimeapi.NamespaceMode_NODE
	}
	return opts
}

func portMappings(pod *v1.Pod) []*runtimeapi.PortMapping {
	var mappings []*runtimeapi.PortMapping
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort == 0 {
				continue
			}
			mappings = append(mappings, &runtimeapi.PortMapping{
				Protocol:      protocolOf(p.Protocol),
				ContainerPort: p.ContainerPort,
				HostPort:      p.HostPort,
				HostIp:        p.HostIP,
			})
		}
	}
	return mappings
}

func protocolOf(p v1.Protocol) runtimeapi.Protocol {
	switch p {
	case v1.ProtocolUDP:
		return runtimeapi.Protocol_UDP
	case v1.ProtocolSCTP:
		return runtimeapi.Protocol_SCTP
	default:
		return runtimeapi.Protocol_TCP
	}
}

// runSandbox prepares the pod's directories and cgroup and asks the runtime
// for a sandbox, returning it with its IPs.
func (k *Kubelet) runSandbox(ctx context.Context, pod *v1.Pod, attempt uint32) (sandboxRef, error) {
	config, err := k.sandboxConfig(pod, attempt)
	if err != nil {
		return sandboxRef{}, err
	}
	// CRI-O does not create the log directory; the kubelet always does.
	if err := os.MkdirAll(config.LogDirectory, 0o755); err != nil {
		return sandboxRef{}, fmt.Errorf("creating pod log directory: %w", err)
	}
	if err := os.MkdirAll(k.podDir(pod.UID), 0o750); err != nil {
		return sandboxRef{}, fmt.Errorf("creating pod directory: %w", err)
	}
	if err := k.ensurePodCgroup(pod); err != nil {
		return sandboxRef{}, err
	}
	handler := k.cfg.RuntimeHandler
	if pod.Spec.RuntimeClassName != nil {
		handler = *pod.Spec.RuntimeClassName // no RuntimeClass objects here: the name is the handler
	}
	began := time.Now()
	id, err := k.cfg.Runtime.RunPodSandbox(ctx, config, handler)
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

// sandboxSecurityContext: a pod with a privileged container needs a
// privileged sandbox, as the kubelet makes it.
func sandboxSecurityContext(pod *v1.Pod) *runtimeapi.LinuxSandboxSecurityContext {
	sc := &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: namespaceOptions(pod)}
	for _, c := range append(append([]v1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
			sc.Privileged = true
		}
	}
	if p := pod.Spec.SecurityContext; p != nil {
		if p.RunAsUser != nil {
			sc.RunAsUser = &runtimeapi.Int64Value{Value: *p.RunAsUser}
		}
		if p.RunAsGroup != nil {
			sc.RunAsGroup = &runtimeapi.Int64Value{Value: *p.RunAsGroup}
		}
		sc.SupplementalGroups = p.SupplementalGroups
	}
	return sc
}

func podSysctls(pod *v1.Pod) map[string]string {
	if pod.Spec.SecurityContext == nil || len(pod.Spec.SecurityContext.Sysctls) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, s := range pod.Spec.SecurityContext.Sysctls {
		out[s.Name] = s.Value
	}
	return out
}
