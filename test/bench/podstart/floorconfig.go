package main

import (
	"os"
	"path/filepath"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// The floor sends the configuration the agent sends: hostname, the node's
// DNS, a pod cgroup parent, a managed /etc/hosts and a termination log.

func (f *floorRunner) sandboxConfig(p *floorPod, logDir string) *runtimeapi.PodSandboxConfig {
	return &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: p.name, Namespace: "bench", Uid: p.uid},
		Hostname:     p.name,
		LogDirectory: logDir,
		DnsConfig:    hostDNS(),
		Labels:       map[string]string{translate.PodNameLabel: p.name, floorLabel: f.runID},
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			CgroupParent: f.cgroup + "/pod" + p.uid,
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{
				Pid: runtimeapi.NamespaceMode_CONTAINER}},
		},
	}
}

// podFiles writes the pod's /etc/hosts and termination log, as the agent
// does, and returns their paths.
func podFiles(logDir string) (hosts, termination string, err error) {
	hosts = filepath.Join(logDir, "etc-hosts")
	termination = filepath.Join(logDir, "termination-log")
	for _, f := range []string{hosts, termination} {
		if err := os.WriteFile(f, []byte("127.0.0.1\tlocalhost\n"), 0o666); err != nil {
			return "", "", err
		}
	}
	return hosts, termination, nil
}

func containerConfig(image string, labels map[string]string, hosts, termination string) *runtimeapi.ContainerConfig {
	return &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "kubia"},
		Image:    imageSpec(image),
		LogPath:  "kubia/0.log",
		Labels:   labels,
		Mounts: []*runtimeapi.Mount{
			{ContainerPath: "/etc/hosts", HostPath: hosts},
			{ContainerPath: "/dev/termination-log", HostPath: termination},
		},
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources: &runtimeapi.LinuxContainerResources{CpuShares: 2},
			SecurityContext: &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{
				Pid: runtimeapi.NamespaceMode_CONTAINER}},
		},
	}
}

func imageSpec(image string) *runtimeapi.ImageSpec { return &runtimeapi.ImageSpec{Image: image} }

// hostDNS is the node's resolver, as the agent gives every pod.
func hostDNS() *runtimeapi.DNSConfig {
	dns := &runtimeapi.DNSConfig{}
	data, _ := os.ReadFile("/etc/resolv.conf")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			dns.Servers = append(dns.Servers, f[1])
		case "search":
			dns.Searches = append(dns.Searches, f[1:]...)
		case "options":
			dns.Options = append(dns.Options, f[1:]...)
		}
	}
	return dns
}
