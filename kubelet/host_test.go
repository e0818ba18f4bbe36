package kubelet

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
	"github.com/minikubelet/minikubelet/kubelet/volume"
)

// hostKubelet is a Kubelet whose host step works in a temporary
// directory: root, logs, cgroup v1 hierarchies and resolv.conf.
func hostKubelet(t *testing.T) *Kubelet {
	t.Helper()
	dir := t.TempDir()
	for _, controller := range []string{"cpu", "memory"} {
		if err := os.MkdirAll(filepath.Join(dir, "cgroup", controller), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup", controller, "cgroup.procs"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rt := newFakeRuntime()
	k, err := New(Config{Runtime: rt, Images: rt, NodeName: "node1", RuntimeName: "containerd",
		RootDir: filepath.Join(dir, "root"), PodLogDir: filepath.Join(dir, "logs"), CgroupParent: "/minikubelet",
		CgroupRoot: filepath.Join(dir, "cgroup"), ResolvConf: filepath.Join(dir, "resolv.conf"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mountsPod is testPod with an emptyDir data and a hostPath host (a
// temporary directory) that container a mounts as the test says.
func mountsPod(t *testing.T, mounts ...v1.VolumeMount) *v1.Pod {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	pod.Spec.Volumes = []v1.Volume{
		{Name: "data", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}},
		{Name: "host", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: t.TempDir()}}},
	}
	pod.Spec.Containers[0].VolumeMounts = mounts
	return pod
}

func TestPrepareContainerHostMounts(t *testing.T) {
	k := hostKubelet(t)
	pod := mountsPod(t,
		v1.VolumeMount{Name: "data", MountPath: "/data"},
		v1.VolumeMount{Name: "host", MountPath: "/host", ReadOnly: true, MountPropagation: new(v1.MountPropagationHostToContainer)},
		v1.VolumeMount{Name: "data", MountPath: "/root-of-data", SubPath: "./"},
	)
	pod.Spec.Containers[0].TerminationMessagePath = "/dev/termination-log"
	if err := os.MkdirAll(k.podDir(pod.UID), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := k.writeEtcHosts(pod, []string{"10.88.0.5"}); err != nil {
		t.Fatal(err)
	}
	start := translate.ContainerStart{Spec: &pod.Spec.Containers[0], Type: translate.ContainerTypeApp, RestartCount: 3}
	got, err := k.prepareContainerHost(context.Background(), pod, start, translate.Env{})
	if err != nil {
		t.Fatal(err)
	}
	emptyDir := volume.EmptyDirPath(k.podDir(pod.UID), "data")
	termination := filepath.Join(k.podDir(pod.UID), "containers", "a", "3-termination-log")
	want := []*runtimeapi.Mount{
		{ContainerPath: "/data", HostPath: emptyDir},
		{ContainerPath: "/host", HostPath: pod.Spec.Volumes[1].HostPath.Path, Readonly: true,
			Propagation: runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER},
		{ContainerPath: "/root-of-data", HostPath: emptyDir}, // a sub-path naming the root needs no bind mount
		{ContainerPath: "/etc/hosts", HostPath: filepath.Join(k.podDir(pod.UID), "etc-hosts")},
		{ContainerPath: "/dev/termination-log", HostPath: termination},
	}
	assertMounts(t, got, want)
	if info, err := os.Stat(emptyDir); err != nil || !info.IsDir() || info.Mode().Perm() != 0o777 {
		t.Errorf("emptyDir %s: %v, %v; want a directory every user can write", emptyDir, info, err)
	}
	if info, err := os.Stat(termination); err != nil || info.Size() != 0 || info.Mode().Perm() != 0o666 {
		t.Errorf("termination log: %v, %v; want an empty file every user can write", info, err)
	}
}

func TestPrepareContainerHostLeavesOutWhatIsNotWanted(t *testing.T) {
	k := hostKubelet(t)
	t.Run("the container mounts its own /etc/hosts", func(t *testing.T) {
		pod := mountsPod(t, v1.VolumeMount{Name: "data", MountPath: "/etc/hosts"})
		if err := os.MkdirAll(k.podDir(pod.UID), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := k.writeEtcHosts(pod, nil); err != nil {
			t.Fatal(err)
		}
		got, err := k.prepareContainerHost(context.Background(), pod, translate.ContainerStart{Spec: &pod.Spec.Containers[0]}, translate.Env{})
		if err != nil {
			t.Fatal(err)
		}
		assertMounts(t, got, []*runtimeapi.Mount{{ContainerPath: "/etc/hosts", HostPath: volume.EmptyDirPath(k.podDir(pod.UID), "data")}})
	})
	t.Run("no managed /etc/hosts (host network) and no termination path", func(t *testing.T) {
		pod := testPod(v1.RestartPolicyAlways, nil, "a")
		pod.UID, pod.Spec.HostNetwork = "uid-hostnet", true
		if err := k.writeEtcHosts(pod, nil); err != nil {
			t.Fatal(err)
		}
		got, err := k.prepareContainerHost(context.Background(), pod, translate.ContainerStart{Spec: &pod.Spec.Containers[0]}, translate.Env{})
		if err != nil || len(got) != 0 {
			t.Fatalf("mounts %v, %v; want none", got, err)
		}
	})
}

func TestVolumeMountErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name    string
		mount   v1.VolumeMount
		env     map[string]string
		wantErr string
	}{
		{name: "a volume the pod does not have", mount: v1.VolumeMount{Name: "nope", MountPath: "/x"},
			wantErr: `container a volumeMounts[0]: no volume named "nope" in spec.volumes`},
		{name: "a configMap on a node outside a cluster", mount: v1.VolumeMount{Name: "config", MountPath: "/x"},
			wantErr: `container a volumeMounts[0] (config): configMap volume "config": this volume reads from the API server, and this node has not joined a cluster (--kubeconfig)`},
		{name: "a sub-path leaving the volume", mount: v1.VolumeMount{Name: "data", MountPath: "/x", SubPath: "../../etc"},
			wantErr: `spec.containers[0].volumeMounts[0].subPath: "../../etc" contains ".."`},
		{name: "an absolute sub-path", mount: v1.VolumeMount{Name: "data", MountPath: "/x", SubPath: "/etc"},
			wantErr: `spec.containers[0].volumeMounts[0].subPath: "/etc" is an absolute path`},
		{name: "a subPathExpr naming an unset variable", mount: v1.VolumeMount{Name: "data", MountPath: "/x", SubPathExpr: "logs/$(POD)"},
			wantErr: `spec.containers[0].volumeMounts[0].subPathExpr: "logs/$(POD)" refers to POD, which the container's env does not set`},
		{name: "a subPathExpr expanding to a way out", mount: v1.VolumeMount{Name: "data", MountPath: "/x", SubPathExpr: "$(UP)/etc"},
			env: map[string]string{"UP": ".."}, wantErr: `spec.containers[0].volumeMounts[0].subPathExpr: "../etc" contains ".."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := hostKubelet(t)
			pod := mountsPod(t, tt.mount)
			pod.Spec.Volumes = append(pod.Spec.Volumes, v1.Volume{Name: "config",
				VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{}}})
			for name, value := range tt.env {
				pod.Spec.Containers[0].Env = append(pod.Spec.Containers[0].Env, v1.EnvVar{Name: name, Value: value})
			}
			env, err := translate.ContainerEnv(k.node(), pod, &pod.Spec.Containers[0], nil, translate.EnvObjects{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = k.prepareContainerHost(context.Background(), pod, translate.ContainerStart{Spec: &pod.Spec.Containers[0]}, env)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}

func assertMounts(t *testing.T, got, want []*runtimeapi.Mount) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d mounts %v, want %d: %v", len(got), got, len(want), want)
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("mount %d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestHostDNS(t *testing.T) {
	tests := []struct {
		name       string
		policy     v1.DNSPolicy
		hostNet    bool
		resolvConf func(t *testing.T, path string)
		want       *runtimeapi.DNSConfig
		wantErr    string
	}{
		{name: "read and parsed", resolvConf: func(t *testing.T, p string) { writeFile(t, p, "nameserver 10.0.0.1\nsearch corp.example\n") },
			want: &runtimeapi.DNSConfig{Servers: []string{"10.0.0.1"}, Searches: []string{"corp.example"}}},
		{name: "a node without resolv.conf has no settings"},
		{name: "an unreadable resolv.conf is an error", resolvConf: func(t *testing.T, p string) { os.Mkdir(p, 0o755) },
			wantErr: "reading host DNS settings"},
		{name: "policy None does not read it", policy: v1.DNSNone, resolvConf: func(t *testing.T, p string) { os.Mkdir(p, 0o755) }},
		{name: "a host-network pod does not read it", hostNet: true, resolvConf: func(t *testing.T, p string) { os.Mkdir(p, 0o755) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := hostKubelet(t)
			if tt.resolvConf != nil {
				tt.resolvConf(t, k.cfg.ResolvConf)
			}
			pod := testPod(v1.RestartPolicyAlways, nil, "a")
			pod.Spec.DNSPolicy, pod.Spec.HostNetwork = tt.policy, tt.hostNet
			got, err := k.hostDNS(pod)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !proto.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// A changed resolv.conf reaches the next sandbox without an agent restart.
func TestSandboxConfigReadsTheNodesResolverAfresh(t *testing.T) {
	k := hostKubelet(t)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	for _, server := range []string{"10.0.0.1", "10.0.0.2"} {
		writeFile(t, k.cfg.ResolvConf, "nameserver "+server+"\n")
		config, err := k.sandboxConfig(pod, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := config.GetDnsConfig().GetServers(); len(got) != 1 || got[0] != server {
			t.Fatalf("servers %v, want [%s]", got, server)
		}
	}
}

func TestWriteEtcHosts(t *testing.T) {
	k := hostKubelet(t)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	pod.Spec.HostAliases = []v1.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"db"}}}
	if err := os.MkdirAll(k.podDir(pod.UID), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := k.writeEtcHosts(pod, []string{"10.88.0.5"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(k.etcHostsPath(pod))
	if err != nil {
		t.Fatal(err)
	}
	if want := string(translate.EtcHosts(pod, []string{"10.88.0.5"}, nil)); string(data) != want {
		t.Errorf("/etc/hosts:\n%s\nwant:\n%s", data, want)
	}

	nodeHosts, err := os.ReadFile("/etc/hosts")
	if err != nil {
		t.Skipf("this machine has no /etc/hosts: %v", err)
	}
	pod.Spec.HostNetwork = true
	if err := k.writeEtcHosts(pod, nil); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(k.etcHostsPath(pod))
	if want := string(translate.EtcHosts(pod, nil, nodeHosts)); string(data) != want {
		t.Errorf("host network with hostAliases: /etc/hosts:\n%s\nwant the node's file and the aliases:\n%s", data, want)
	}
}

func TestPrepareSandboxHost(t *testing.T) {
	k := hostKubelet(t)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	pod.Spec.Containers[0].Resources.Limits = v1.ResourceList{v1.ResourceCPU: resource.MustParse("500m"), v1.ResourceMemory: resource.MustParse("64Mi")}
	logDir := translate.PodLogDir(k.node(), pod)
	if err := k.prepareSandboxHost(pod, logDir); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{logDir, k.podDir(pod.UID)} {
		if info, err := os.Lstat(dir); err != nil || !info.IsDir() {
			t.Errorf("%s: %v, %v; want a directory", dir, info, err)
		}
	}
	podCgroup := filepath.Join("minikubelet", "pod"+string(pod.UID))
	for file, want := range map[string]string{
		"cpu/cpu.shares": "512", "cpu/cpu.cfs_period_us": "100000", "cpu/cpu.cfs_quota_us": "50000",
		"memory/memory.limit_in_bytes": "67108864",
	} {
		controller, name, _ := strings.Cut(file, "/")
		path := filepath.Join(k.cfg.CgroupRoot, controller, podCgroup, name)
		if data, err := os.ReadFile(path); err != nil || string(data) != want {
			t.Errorf("%s = %q, %v; want %s", file, data, err, want)
		}
	}
}
