package kubelet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/logs"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// The host step: what a pod needs on the node before the runtime is asked
// for its sandbox or one of its containers, which the translation (package
// translate) leaves out because it touches no file. Every step is
// idempotent: each sandbox and container start runs it again.

// node is the translation's view of this agent. Its HostDNS is nil:
// sandboxConfig reads the node's resolver settings afresh for each pod.
func (k *Kubelet) node() translate.Node {
	return translate.Node{Name: k.cfg.NodeName, PodLogRoot: k.cfg.PodLogDir, CgroupParent: k.cfg.CgroupParent, RuntimeName: k.cfg.RuntimeName,
		HostIPs: k.cfg.NodeIPs, Allocatable: k.cfg.Allocatable}
}

// podDir holds the pod's volumes and managed files.
func (k *Kubelet) podDir(uid types.UID) string {
	return filepath.Join(k.cfg.RootDir, "pods", string(uid))
}

// prepareSandboxHost makes what the pod's sandbox needs: its log directory
// (logDir), its directory and its cgroup.
func (k *Kubelet) prepareSandboxHost(pod *v1.Pod, logDir string) error {
	// CRI-O does not create the log directory; the kubelet always does.
	if err := os.MkdirAll(k.cfg.PodLogDir, 0o755); err != nil {
		return fmt.Errorf("creating pod log root: %w", err)
	}
	replaced, err := logs.PreparePodLogDir(logDir)
	k.warnPlanted(pod, "", replaced)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(k.podDir(pod.UID), 0o750); err != nil {
		return fmt.Errorf("creating pod directory: %w", err)
	}
	return k.ensurePodCgroup(pod)
}

// warnPlanted logs each link or file found where the pod's log directories
// or files belong: only a container writing its log directory (a hostPath
// mount) puts one there, so it is worth an operator's look.
func (k *Kubelet) warnPlanted(pod *v1.Pod, container string, paths []string) {
	for _, path := range paths {
		k.log.Warn("replaced a link or file planted in a pod's log directory", "pod", podRef(pod, pod.UID), "container", container, "path", path)
	}
}

// hostDNS reads the node's resolver settings when the pod's sandbox starts
// from them, else returns nil. A node without resolv.conf has none.
func (k *Kubelet) hostDNS(pod *v1.Pod) (*runtimeapi.DNSConfig, error) {
	if !translate.NeedsHostDNS(pod) {
		return nil, nil
	}
	data, err := os.ReadFile(k.cfg.ResolvConf)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading host DNS settings: %w", err)
	}
	return translate.ParseResolvConf(data), nil
}

// writeEtcHosts writes the pod's managed /etc/hosts, when it has one, with
// the sandbox's IPs; a host-network pod's starts from the node's.
func (k *Kubelet) writeEtcHosts(pod *v1.Pod, ips []string) error {
	if !translate.ManagesEtcHosts(pod) {
		return nil
	}
	var nodeHosts []byte
	if pod.Spec.HostNetwork {
		var err error
		if nodeHosts, err = os.ReadFile("/etc/hosts"); err != nil {
			return fmt.Errorf("reading the node's /etc/hosts: %w", err)
		}
	}
	return writeHostsFile(k.etcHostsPath(pod), translate.EtcHosts(pod, ips, nodeHosts))
}

func (k *Kubelet) etcHostsPath(pod *v1.Pod) string {
	return filepath.Join(k.podDir(pod.UID), "etc-hosts")
}

// prepareContainerHost sets up the host side of a container instance's
// mounts and returns them in the order the runtime gets them: its volumes
// (a subPath bind-mounted), the pod's /etc/hosts unless a volume goes
// there, and the instance's termination log. env is the container's, for
// subPathExpr.
func (k *Kubelet) prepareContainerHost(ctx context.Context, pod *v1.Pod, start translate.ContainerStart, env translate.Env) ([]*runtimeapi.Mount, error) {
	c := start.Spec
	mounts, err := k.volumeMounts(ctx, pod, c, env.Lookup, start.VolumeImages)
	if err != nil {
		return nil, err
	}
	if !translate.MountsAt(c, "/etc/hosts") {
		if _, err := os.Stat(k.etcHostsPath(pod)); err == nil {
			mounts = append(mounts, &runtimeapi.Mount{ContainerPath: "/etc/hosts", HostPath: k.etcHostsPath(pod)})
		}
	}
	termination, err := k.terminationMount(pod, c, start.RestartCount)
	if err != nil {
		return nil, err
	}
	if termination != nil {
		mounts = append(mounts, termination)
	}
	return mounts, nil
}

// terminationMount creates the instance's empty termination log, writable
// by any user the container may run as, and mounts it.
func (k *Kubelet) terminationMount(pod *v1.Pod, c *v1.Container, restartCount int) (*runtimeapi.Mount, error) {
	if c.TerminationMessagePath == "" {
		return nil, nil
	}
	path := k.terminationLogPath(pod, c.Name, restartCount)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating termination log directory: %w", err)
	}
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		return nil, fmt.Errorf("creating termination log: %w", err)
	}
	if err := os.Chmod(path, 0o666); err != nil { // umask must not narrow it
		return nil, fmt.Errorf("opening termination log: %w", err)
	}
	return &runtimeapi.Mount{ContainerPath: c.TerminationMessagePath, HostPath: path}, nil
}
