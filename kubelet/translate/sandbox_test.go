package translate

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// wantSandbox is the config of testPod on testNode; each case below says
// how its pod, node and config differ from it.
func wantSandbox() *runtimeapi.PodSandboxConfig {
	return &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "default", Uid: "uid-1"},
		Hostname:     "web",
		LogDirectory: "/var/log/pods/default_web_uid-1",
		DnsConfig:    &runtimeapi.DNSConfig{Servers: []string{"10.0.0.1"}, Searches: []string{"corp.example"}, Options: []string{"ndots:5"}},
		Labels: map[string]string{
			PodNameLabel: "web", PodNamespaceLabel: "default", PodUIDLabel: "uid-1",
			ManagedByLabel: ManagedByValue, NodeLabel: "node1",
		},
		Annotations: map[string]string{PodTerminationGraceAnnotation: "30"},
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			CgroupParent: "/minikubelet/poduid-1",
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{
				Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_CONTAINER, Ipc: runtimeapi.NamespaceMode_POD,
			}},
		},
	}
}

func TestSandboxConfig(t *testing.T) {
	privileged := &v1.SecurityContext{Privileged: ptr(true)}
	tests := []struct {
		name    string
		pod     func(*v1.Pod)
		node    func(*Node)
		attempt uint32
		want    func(*runtimeapi.PodSandboxConfig)
	}{
		{name: "plain pod"},
		{name: "attempt is recorded", attempt: 3, want: func(c *runtimeapi.PodSandboxConfig) { c.Metadata.Attempt = 3 }},
		{
			name: "hostnameOverride names the pod's host, over hostname",
			pod: func(p *v1.Pod) {
				p.Spec.Hostname, p.Spec.HostnameOverride = "custom-host", ptr("override.example.host")
			},
			want: func(c *runtimeapi.PodSandboxConfig) { c.Hostname = "override.example.host" },
		},
		{
			name: "a long hostnameOverride is cut to 63 bytes, not ending in a dot",
			pod:  func(p *v1.Pod) { p.Spec.HostnameOverride = ptr(strings.Repeat("a", 62) + ".example.host") },
			want: func(c *runtimeapi.PodSandboxConfig) { c.Hostname = strings.Repeat("a", 62) },
		},
		{
			name: "hostNetwork shares the node's network, name and resolver",
			pod:  func(p *v1.Pod) { p.Spec.HostNetwork = true },
			want: func(c *runtimeapi.PodSandboxConfig) {
				c.Hostname, c.DnsConfig = "", nil
				c.Linux.SecurityContext.NamespaceOptions.Network = runtimeapi.NamespaceMode_NODE
			},
		},
		{
			name: "hostPID and hostIPC",
			pod:  func(p *v1.Pod) { p.Spec.HostPID, p.Spec.HostIPC = true, true },
			want: func(c *runtimeapi.PodSandboxConfig) {
				c.Linux.SecurityContext.NamespaceOptions.Pid = runtimeapi.NamespaceMode_NODE
				c.Linux.SecurityContext.NamespaceOptions.Ipc = runtimeapi.NamespaceMode_NODE
			},
		},
		{
			name: "shareProcessNamespace shares PIDs within the pod",
			pod:  func(p *v1.Pod) { p.Spec.ShareProcessNamespace = ptr(true) },
			want: func(c *runtimeapi.PodSandboxConfig) {
				c.Linux.SecurityContext.NamespaceOptions.Pid = runtimeapi.NamespaceMode_POD
			},
		},
		{
			name: "shareProcessNamespace false keeps PIDs per container",
			pod:  func(p *v1.Pod) { p.Spec.ShareProcessNamespace = ptr(false) },
		},
		{
			name: "hostPID wins over shareProcessNamespace",
			pod:  func(p *v1.Pod) { p.Spec.ShareProcessNamespace, p.Spec.HostPID = ptr(true), true },
			want: func(c *runtimeapi.PodSandboxConfig) {
				c.Linux.SecurityContext.NamespaceOptions.Pid = runtimeapi.NamespaceMode_NODE
			},
		},
		{
			name: "a privileged app container makes the sandbox privileged",
			pod: func(p *v1.Pod) {
				p.Spec.Containers = append(p.Spec.Containers, v1.Container{Name: "root", SecurityContext: privileged})
			},
			want: func(c *runtimeapi.PodSandboxConfig) { c.Linux.SecurityContext.Privileged = true },
		},
		{
			name: "a privileged init container makes the sandbox privileged",
			pod:  func(p *v1.Pod) { p.Spec.InitContainers = []v1.Container{{Name: "setup", SecurityContext: privileged}} },
			want: func(c *runtimeapi.PodSandboxConfig) { c.Linux.SecurityContext.Privileged = true },
		},
		{
			name: "privileged false does not",
			pod:  func(p *v1.Pod) { p.Spec.Containers[0].SecurityContext = &v1.SecurityContext{Privileged: ptr(false)} },
		},
		{
			name: "the pod's user, group and supplemental groups; fsGroup stays with the containers",
			pod: func(p *v1.Pod) {
				p.Spec.SecurityContext = &v1.PodSecurityContext{RunAsUser: ptr(int64(1000)), RunAsGroup: ptr(int64(2000)),
					SupplementalGroups: []int64{5, 6}, FSGroup: ptr(int64(3000))}
			},
			want: func(c *runtimeapi.PodSandboxConfig) {
				sc := c.Linux.SecurityContext
				sc.RunAsUser, sc.RunAsGroup = &runtimeapi.Int64Value{Value: 1000}, &runtimeapi.Int64Value{Value: 2000}
				sc.SupplementalGroups = []int64{5, 6}
			},
		},
		{
			name: "sysctls by name",
			pod: func(p *v1.Pod) {
				p.Spec.SecurityContext = &v1.PodSecurityContext{Sysctls: []v1.Sysctl{
					{Name: "net.core.somaxconn", Value: "1024"}, {Name: "kernel.shm_rmid_forced", Value: "1"}}}
			},
			want: func(c *runtimeapi.PodSandboxConfig) {
				c.Linux.Sysctls = map[string]string{"net.core.somaxconn": "1024", "kernel.shm_rmid_forced": "1"}
			},
		},
		{
			name: "host ports of every container; ports without one are not mapped",
			pod: func(p *v1.Pod) {
				p.Spec.Containers[0].Ports = []v1.ContainerPort{
					{ContainerPort: 8080, HostPort: 80},
					{ContainerPort: 9090},
					{ContainerPort: 53, HostPort: 5353, Protocol: v1.ProtocolUDP, HostIP: "127.0.0.1"},
				}
				p.Spec.Containers = append(p.Spec.Containers, v1.Container{Name: "side",
					Ports: []v1.ContainerPort{{ContainerPort: 7, HostPort: 7007, Protocol: v1.ProtocolSCTP}}})
			},
			want: func(c *runtimeapi.PodSandboxConfig) {
				c.PortMappings = []*runtimeapi.PortMapping{
					{Protocol: runtimeapi.Protocol_TCP, ContainerPort: 8080, HostPort: 80},
					{Protocol: runtimeapi.Protocol_UDP, ContainerPort: 53, HostPort: 5353, HostIp: "127.0.0.1"},
					{Protocol: runtimeapi.Protocol_SCTP, ContainerPort: 7, HostPort: 7007},
				}
			},
		},
		{
			name: "spec.hostname wins over the name; the subdomain is not part of it",
			pod:  func(p *v1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = "db-0", "db" },
			want: func(c *runtimeapi.PodSandboxConfig) { c.Hostname = "db-0" },
		},
		{
			name: "a name longer than 63 bytes is cut to the kernel's limit",
			pod:  func(p *v1.Pod) { p.Name = strings.Repeat("n", 70) },
			want: func(c *runtimeapi.PodSandboxConfig) {
				long := strings.Repeat("n", 70)
				c.Hostname = strings.Repeat("n", 63)
				c.Metadata.Name = long
				c.LogDirectory = "/var/log/pods/default_" + long + "_uid-1"
				c.Labels[PodNameLabel] = long
			},
		},
		{
			name: "DNS policy None: only the pod's dnsConfig",
			pod: func(p *v1.Pod) {
				p.Spec.DNSPolicy = v1.DNSNone
				p.Spec.DNSConfig = &v1.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Searches: []string{"a.example"},
					Options: []v1.PodDNSConfigOption{{Name: "ndots", Value: ptr("2")}, {Name: "edns0"}}}
			},
			want: func(c *runtimeapi.PodSandboxConfig) {
				c.DnsConfig = &runtimeapi.DNSConfig{Servers: []string{"1.1.1.1"}, Searches: []string{"a.example"}, Options: []string{"ndots:2", "edns0"}}
			},
		},
		{
			name: "DNS policy Default: the node's, then the pod's dnsConfig",
			pod: func(p *v1.Pod) {
				p.Spec.DNSPolicy = v1.DNSDefault
				p.Spec.DNSConfig = &v1.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Options: []v1.PodDNSConfigOption{{Name: "rotate"}}}
			},
			want: func(c *runtimeapi.PodSandboxConfig) {
				c.DnsConfig.Servers = []string{"10.0.0.1", "1.1.1.1"}
				c.DnsConfig.Options = []string{"ndots:5", "rotate"}
			},
		},
		{
			name: "DNS policy ClusterFirst falls back to the node's: there is no cluster DNS",
			pod:  func(p *v1.Pod) { p.Spec.DNSPolicy = v1.DNSClusterFirst },
		},
		{
			name: "a node without resolver settings",
			node: func(n *Node) { n.HostDNS = nil },
			want: func(c *runtimeapi.PodSandboxConfig) { c.DnsConfig = &runtimeapi.DNSConfig{} },
		},
		{
			name: "no cgroup parent leaves placement to the runtime",
			node: func(n *Node) { n.CgroupParent = "" },
			want: func(c *runtimeapi.PodSandboxConfig) { c.Linux.CgroupParent = "" },
		},
		{
			name: "identity labels win over the pod's labels of the same name; other labels are kept",
			pod: func(p *v1.Pod) {
				p.Labels = map[string]string{"app": "web", PodNameLabel: "other", PodUIDLabel: "x", ManagedByLabel: "someone", NodeLabel: "node2"}
			},
			want: func(c *runtimeapi.PodSandboxConfig) { c.Labels["app"] = "web" },
		},
		{
			name: "annotations are kept; the grace period is the clamped spec's",
			pod: func(p *v1.Pod) {
				p.Annotations = map[string]string{"note": "x", PodTerminationGraceAnnotation: "999"}
				p.Spec.TerminationGracePeriodSeconds = ptr(int64(0))
			},
			want: func(c *runtimeapi.PodSandboxConfig) {
				c.Annotations = map[string]string{"note": "x", PodTerminationGraceAnnotation: "2"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, node, want := testPod(), testNode(), wantSandbox()
			if tt.pod != nil {
				tt.pod(pod)
			}
			if tt.node != nil {
				tt.node(&node)
			}
			if tt.want != nil {
				tt.want(want)
			}
			assertProto(t, "sandbox config", SandboxConfig(node, pod, tt.attempt), want)
		})
	}
}

func TestRuntimeHandler(t *testing.T) {
	pod := testPod()
	if got := RuntimeHandler("runc", pod); got != "runc" {
		t.Errorf("without runtimeClassName: %q, want the node's default runc", got)
	}
	pod.Spec.RuntimeClassName = ptr("kata")
	if got := RuntimeHandler("runc", pod); got != "kata" {
		t.Errorf("with runtimeClassName kata: %q, want kata", got)
	}
}

func TestPaths(t *testing.T) {
	node, pod := testNode(), testPod()
	if got, want := PodLogDir(node, pod), "/var/log/pods/default_web_uid-1"; got != want {
		t.Errorf("PodLogDir = %q, want %q", got, want)
	}
	if got, want := ContainerLogPath("app", 3), "app/3.log"; got != want {
		t.Errorf("ContainerLogPath = %q, want %q", got, want)
	}
	if got, want := PodCgroupParent(node, "uid-1"), "/minikubelet/poduid-1"; got != want {
		t.Errorf("PodCgroupParent = %q, want %q", got, want)
	}
	node.CgroupParent = ""
	if got := PodCgroupParent(node, "uid-1"); got != "" {
		t.Errorf("PodCgroupParent without a parent = %q, want none", got)
	}
}
