package translate

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// wantContainer is the config of testPod's container app, first instance,
// with no env and no mounts; each case says how it differs.
func wantContainer() *runtimeapi.ContainerConfig {
	return &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "app"},
		Image:    &runtimeapi.ImageSpec{Image: "registry.example/app:1", UserSpecifiedImage: "registry.example/app:1"},
		LogPath:  "app/0.log",
		Labels: map[string]string{
			PodNameLabel: "web", PodNamespaceLabel: "default", PodUIDLabel: "uid-1", ContainerNameLabel: "app",
			ContainerTypeLabel: "app", ManagedByLabel: ManagedByValue, NodeLabel: "node1",
		},
		Annotations: map[string]string{
			ContainerHashAnnotation:         ContainerHash(&testPod().Spec.Containers[0]),
			ContainerSpecHashAnnotation:     ContainerSpecHash(&testPod().Spec.Containers[0]),
			ContainerRestartCountAnnotation: "0",
			PodTerminationGraceAnnotation:   "30",
		},
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources: &runtimeapi.LinuxContainerResources{CpuShares: 2},
			SecurityContext: &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{
				Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_CONTAINER, Ipc: runtimeapi.NamespaceMode_POD,
			}},
		},
	}
}

func fieldRef(path string) *v1.EnvVarSource {
	return &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: path}}
}

func resourceRef(resourceName, divisor string) *v1.EnvVarSource {
	ref := &v1.ResourceFieldSelector{Resource: resourceName}
	if divisor != "" {
		ref.Divisor = resource.MustParse(divisor)
	}
	return &v1.EnvVarSource{ResourceFieldRef: ref}
}

func envs(pairs ...string) []*runtimeapi.KeyValue {
	var out []*runtimeapi.KeyValue
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, &runtimeapi.KeyValue{Key: pairs[i], Value: []byte(pairs[i+1])})
	}
	return out
}

func TestContainerConfig(t *testing.T) {
	mounts := []*runtimeapi.Mount{
		{ContainerPath: "/data", HostPath: "/var/lib/minikubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/data"},
		{ContainerPath: "/etc/hosts", HostPath: "/var/lib/minikubelet/pods/uid-1/etc-hosts"},
	}
	tests := []struct {
		name   string
		pod    func(*v1.Pod)
		start  func(*ContainerStart)
		podIPs []string
		mounts []*runtimeapi.Mount
		want   func(*runtimeapi.ContainerConfig)
	}{
		{name: "plain container"},
		{
			name: "command and args expand env; $$ escapes; unknown names stay as written",
			pod: func(p *v1.Pod) {
				c := &p.Spec.Containers[0]
				c.Env = []v1.EnvVar{{Name: "PORT", Value: "8080"}}
				c.Command = []string{"/bin/serve", "--port=$(PORT)"}
				c.Args = []string{"$$(PORT)", "$(NOPE)", "$(PORT"}
			},
			want: func(c *runtimeapi.ContainerConfig) {
				c.Envs = envs("PORT", "8080")
				c.Command = []string{"/bin/serve", "--port=8080"}
				c.Args = []string{"$(PORT)", "$(NOPE)", "$(PORT"}
			},
		},
		{
			name: "env keeps spec order; a value sees only the names before it; a name set again keeps its place and takes the last value",
			pod: func(p *v1.Pod) {
				p.Spec.Containers[0].Env = []v1.EnvVar{
					{Name: "B", Value: "$(A)-b"}, {Name: "A", Value: "a"}, {Name: "C", Value: "$(A)-$(B)-$$(A)"}, {Name: "A", Value: "again"},
				}
			},
			want: func(c *runtimeapi.ContainerConfig) {
				c.Envs = envs("B", "$(A)-b", "A", "again", "C", "a-$(A)-b-$(A)")
			},
		},
		{
			name: "fieldRef: the pod's identity, the node's name and the pod's first IP",
			pod: func(p *v1.Pod) {
				p.Spec.ServiceAccountName = "robot"
				p.Spec.Containers[0].Env = []v1.EnvVar{
					{Name: "NAME", ValueFrom: fieldRef("metadata.name")}, {Name: "NS", ValueFrom: fieldRef("metadata.namespace")},
					{Name: "UID", ValueFrom: fieldRef("metadata.uid")}, {Name: "NODE", ValueFrom: fieldRef("spec.nodeName")},
					{Name: "SA", ValueFrom: fieldRef("spec.serviceAccountName")}, {Name: "IP", ValueFrom: fieldRef("status.podIP")},
				}
			},
			podIPs: []string{"10.88.0.7", "fd00::7"},
			want: func(c *runtimeapi.ContainerConfig) {
				c.Envs = envs("NAME", "web", "NS", "default", "UID", "uid-1", "NODE", "node1", "SA", "robot", "IP", "10.88.0.7")
			},
		},
		{
			name: "status.podIP is empty without IPs (host network before the sandbox reports one)",
			pod: func(p *v1.Pod) {
				p.Spec.Containers[0].Env = []v1.EnvVar{{Name: "IP", ValueFrom: fieldRef("status.podIP")}}
			},
			want: func(c *runtimeapi.ContainerConfig) { c.Envs = envs("IP", "") },
		},
		{
			name: "a downward-API value is not expanded, and later values may use it",
			pod: func(p *v1.Pod) {
				p.Spec.Containers[0].Env = []v1.EnvVar{{Name: "NAME", ValueFrom: fieldRef("metadata.name")}, {Name: "URL", Value: "http://$(NAME):80"}}
				p.Name = "$(X)"
			},
			want: func(c *runtimeapi.ContainerConfig) {
				c.Envs = envs("NAME", "$(X)", "URL", "http://$(X):80")
				c.Labels[PodNameLabel] = "$(X)"
			},
		},
		{
			name: "resourceFieldRef: limits by default, requests on request, in divisor units, 0 when unset",
			pod: func(p *v1.Pod) {
				c := &p.Spec.Containers[0]
				c.Resources = v1.ResourceRequirements{
					Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse("250m"), v1.ResourceMemory: resource.MustParse("64Mi")},
					Limits:   v1.ResourceList{v1.ResourceCPU: resource.MustParse("2"), v1.ResourceMemory: resource.MustParse("1Gi")},
				}
				c.Env = []v1.EnvVar{
					{Name: "CPU_LIMIT_M", ValueFrom: resourceRef("limits.cpu", "1m")},
					{Name: "CPU_LIMIT", ValueFrom: resourceRef("limits.cpu", "")},
					{Name: "CPU_REQUEST", ValueFrom: resourceRef("requests.cpu", "")},
					{Name: "MEM_REQUEST_MI", ValueFrom: resourceRef("requests.memory", "1Mi")},
					{Name: "MEM_LIMIT", ValueFrom: resourceRef("memory", "")},
					{Name: "MEM_LIMIT_GI", ValueFrom: resourceRef("limits.memory", "1Gi")},
					{Name: "EPHEMERAL", ValueFrom: resourceRef("limits.ephemeral-storage", "")},
				}
			},
			want: func(c *runtimeapi.ContainerConfig) {
				c.Envs = envs("CPU_LIMIT_M", "2000", "CPU_LIMIT", "2", "CPU_REQUEST", "1", "MEM_REQUEST_MI", "64",
					"MEM_LIMIT", "1073741824", "MEM_LIMIT_GI", "1", "EPHEMERAL", "0")
				c.Linux.Resources = &runtimeapi.LinuxContainerResources{CpuShares: 256, CpuPeriod: 100000, CpuQuota: 200000, MemoryLimitInBytes: 1 << 30}
			},
		},
		{
			name:   "mounts are passed through in order",
			mounts: mounts,
			want:   func(c *runtimeapi.ContainerConfig) { c.Mounts = mounts },
		},
		{
			name:  "a restart numbers the instance and its log file",
			start: func(s *ContainerStart) { s.RestartCount = 4 },
			want: func(c *runtimeapi.ContainerConfig) {
				c.Metadata.Attempt = 4
				c.LogPath = "app/4.log"
				c.Annotations[ContainerRestartCountAnnotation] = "4"
			},
		},
		{
			name:  "an init container is labelled as one",
			start: func(s *ContainerStart) { s.Type = ContainerTypeInit },
			want:  func(c *runtimeapi.ContainerConfig) { c.Labels[ContainerTypeLabel] = "init" },
		},
		{
			name:  "an ephemeral container with a target joins the target's process namespace",
			start: func(s *ContainerStart) { s.Type, s.TargetID = ContainerTypeEphemeral, "target-1" },
			want: func(c *runtimeapi.ContainerConfig) {
				c.Labels[ContainerTypeLabel] = "ephemeral"
				c.Linux.SecurityContext.NamespaceOptions.Pid = runtimeapi.NamespaceMode_TARGET
				c.Linux.SecurityContext.NamespaceOptions.TargetId = "target-1"
			},
		},
		{
			name:  "a target changes nothing in a pod sharing one process namespace",
			pod:   func(p *v1.Pod) { p.Spec.ShareProcessNamespace = ptr(true) },
			start: func(s *ContainerStart) { s.Type, s.TargetID = ContainerTypeEphemeral, "target-1" },
			want: func(c *runtimeapi.ContainerConfig) {
				c.Labels[ContainerTypeLabel] = "ephemeral"
				c.Linux.SecurityContext.NamespaceOptions.Pid = runtimeapi.NamespaceMode_POD
			},
		},
		{
			name: "ports and the termination message path are recorded, as the kubelet does",
			pod: func(p *v1.Pod) {
				c := &p.Spec.Containers[0]
				c.Ports = []v1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: v1.ProtocolTCP}}
				c.TerminationMessagePath = "/dev/termination-log"
			},
			want: func(c *runtimeapi.ContainerConfig) {
				c.Annotations[ContainerPortsAnnotation] = `[{"name":"http","containerPort":8080,"protocol":"TCP"}]`
				c.Annotations[ContainerTerminationMessagePath] = "/dev/termination-log"
			},
		},
		{
			name: "stdin, stdinOnce, tty and workingDir",
			pod: func(p *v1.Pod) {
				c := &p.Spec.Containers[0]
				c.Stdin, c.StdinOnce, c.TTY, c.WorkingDir = true, true, true, "/srv"
			},
			want: func(c *runtimeapi.ContainerConfig) {
				c.Stdin, c.StdinOnce, c.Tty, c.WorkingDir = true, true, true, "/srv"
			},
		},
		{
			name: "the pod's labels stay on the sandbox; the grace period is the pod's",
			pod: func(p *v1.Pod) {
				p.Labels = map[string]string{"app": "web"}
				p.Spec.TerminationGracePeriodSeconds = ptr(int64(45))
			},
			want: func(c *runtimeapi.ContainerConfig) { c.Annotations[PodTerminationGraceAnnotation] = "45" },
		},
		{
			name: "the security context merges the pod's and the container's",
			pod: func(p *v1.Pod) {
				p.Spec.HostIPC = true
				p.Spec.SecurityContext = &v1.PodSecurityContext{RunAsUser: ptr(int64(1000))}
				p.Spec.Containers[0].SecurityContext = &v1.SecurityContext{ReadOnlyRootFilesystem: ptr(true)}
			},
			want: func(c *runtimeapi.ContainerConfig) {
				sc := c.Linux.SecurityContext
				sc.NamespaceOptions.Ipc = runtimeapi.NamespaceMode_NODE
				sc.RunAsUser, sc.ReadonlyRootfs = &runtimeapi.Int64Value{Value: 1000}, true
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, node, want := testPod(), testNode(), wantContainer()
			if tt.pod != nil {
				tt.pod(pod)
			}
			start := ContainerStart{Spec: &pod.Spec.Containers[0], Type: ContainerTypeApp}
			if tt.start != nil {
				tt.start(&start)
			}
			if tt.want != nil {
				tt.want(want)
			}
			// The hash is of the case's spec; hash_test.go pins its encoding.
			want.Annotations[ContainerHashAnnotation] = ContainerHash(start.Spec)
			want.Annotations[ContainerSpecHashAnnotation] = ContainerSpecHash(start.Spec)
			env, err := ContainerEnv(node, pod, start.Spec, tt.podIPs, EnvObjects{})
			if err != nil {
				t.Fatal(err)
			}
			config, err := ContainerConfig(node, pod, start, env, tt.mounts)
			if err != nil {
				t.Fatal(err)
			}
			assertProto(t, "container config", config, want)
		})
	}
}

func TestEnvLookup(t *testing.T) {
	var zero Env
	if _, ok := zero.Lookup("A"); ok || zero.KeyValues() != nil {
		t.Fatal("the zero Env must be empty")
	}
	pod := testPod()
	pod.Spec.Containers[0].Env = []v1.EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}, {Name: "E"}}
	env, err := ContainerEnv(testNode(), pod, &pod.Spec.Containers[0], nil, EnvObjects{})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := env.Lookup("A"); !ok || v != "2" {
		t.Errorf("Lookup(A) = %q, %v; want the last value, 2", v, ok)
	}
	if v, ok := env.Lookup("E"); !ok || v != "" {
		t.Errorf("Lookup(E) = %q, %v; want set and empty", v, ok)
	}
	if _, ok := env.Lookup("NOPE"); ok {
		t.Error("Lookup(NOPE) found an unset variable")
	}
	if n := len(env.KeyValues()); n != 2 {
		t.Errorf("KeyValues has %d entries, want A and E once each", n)
	}
}

func TestContainerConfigKeepsAnUnsetCommand(t *testing.T) {
	pod := testPod()
	config, err := ContainerConfig(testNode(), pod, ContainerStart{Spec: &pod.Spec.Containers[0], Type: ContainerTypeApp}, Env{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if config.Command != nil || config.Args != nil {
		t.Fatalf("command %q args %q; want nil, so the image's entrypoint runs", config.Command, config.Args)
	}
}
