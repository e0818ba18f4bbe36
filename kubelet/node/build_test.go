package node

import (
	"net"
	"runtime"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

var testSpec = Spec{
	Name: "node-a", InternalIP: net.ParseIP("192.168.1.10"), KubeletPort: 10350, MaxPods: 110,
	RuntimeVersion: "containerd://1.6.20", KubeletVersion: "v1.37.2+minikubelet.devel",
}

var testObs = Observations{
	KernelVersion: "6.1.0-13-amd64", OSImage: "Debian GNU/Linux 12 (bookworm)",
	MachineID: "m1", BootID: "b1", SystemUUID: "u1",
	CPUs: 2, MemoryTotal: 4 << 30, MemoryAvailable: 3 << 30,
	FSCapacity: 100 << 30, FSAvailable: 50 << 30, Inodes: 1000, InodesFree: 900,
	PIDMax: 4194304, Processes: 300,
}

func TestBuild(t *testing.T) {
	q := resource.MustParse
	tests := []struct {
		name          string
		spec          Spec
		obs           Observations
		wantCapacity  v1.ResourceList
		wantAlloc     v1.ResourceList
		wantAddresses []v1.NodeAddress
		wantPort      int32
	}{
		{
			name: "everything observed",
			spec: testSpec, obs: testObs,
			wantCapacity: v1.ResourceList{"cpu": q("2"), "memory": q("4Gi"), "pods": q("110"), "ephemeral-storage": q("100Gi")},
			// Less the kubelet's hard eviction thresholds: 100Mi of memory, 10% of nodefs.
			wantAlloc:     v1.ResourceList{"cpu": q("2"), "memory": q("3996Mi"), "pods": q("110"), "ephemeral-storage": q("90Gi")},
			wantAddresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "192.168.1.10"}, {Type: v1.NodeHostName, Address: "node-a"}},
			wantPort:      10350,
		},
		{
			name: "nothing observed, no IP, unix socket API: only what is known",
			spec: Spec{Name: "node-b", MaxPods: 5}, obs: Observations{},
			wantCapacity:  v1.ResourceList{"pods": q("5")},
			wantAlloc:     v1.ResourceList{"pods": q("5")},
			wantAddresses: []v1.NodeAddress{{Type: v1.NodeHostName, Address: "node-b"}},
		},
		{
			name: "less memory than the eviction threshold: allocatable zero, not negative",
			spec: Spec{Name: "tiny", MaxPods: 1}, obs: Observations{MemoryTotal: 50 << 20},
			wantCapacity:  v1.ResourceList{"memory": q("50Mi"), "pods": q("1")},
			wantAlloc:     v1.ResourceList{"memory": q("0"), "pods": q("1")},
			wantAddresses: []v1.NodeAddress{{Type: v1.NodeHostName, Address: "tiny"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Build(tt.spec, tt.obs, nil)
			if n.Name != tt.spec.Name {
				t.Errorf("name %q", n.Name)
			}
			wantLabels := map[string]string{"kubernetes.io/hostname": tt.spec.Name, "kubernetes.io/os": runtime.GOOS, "kubernetes.io/arch": runtime.GOARCH}
			if !equalMaps(n.Labels, wantLabels) {
				t.Errorf("labels %v, want %v", n.Labels, wantLabels)
			}
			checkResources(t, "capacity", n.Status.Capacity, tt.wantCapacity)
			checkResources(t, "allocatable", n.Status.Allocatable, tt.wantAlloc)
			if !equalAddresses(n.Status.Addresses, tt.wantAddresses) {
				t.Errorf("addresses %v, want %v", n.Status.Addresses, tt.wantAddresses)
			}
			if got := n.Status.DaemonEndpoints.KubeletEndpoint.Port; got != tt.wantPort {
				t.Errorf("kubelet port %d, want %d", got, tt.wantPort)
			}
			info := n.Status.NodeInfo
			want := v1.NodeSystemInfo{
				MachineID: tt.obs.MachineID, SystemUUID: tt.obs.SystemUUID, BootID: tt.obs.BootID,
				KernelVersion: tt.obs.KernelVersion, OSImage: tt.obs.OSImage,
				ContainerRuntimeVersion: tt.spec.RuntimeVersion, KubeletVersion: tt.spec.KubeletVersion,
				OperatingSystem: runtime.GOOS, Architecture: runtime.GOARCH,
			}
			if info != want {
				t.Errorf("nodeInfo %+v, want %+v", info, want)
			}
			if info.KubeProxyVersion != "" {
				t.Errorf("kubeProxyVersion %q: minikubelet runs no kube-proxy", info.KubeProxyVersion)
			}
		})
	}
}

func TestApplyKeepsWhatOthersOwn(t *testing.T) {
	existing := Build(Spec{Name: "node-a", MaxPods: 10}, Observations{}, nil)
	existing.UID = "uid-1"
	existing.Labels["team"] = "blue"
	existing.Labels[v1.LabelHostname] = "stale"
	existing.Status.VolumesAttached = []v1.AttachedVolume{{Name: "vol", DevicePath: "/dev/x"}}
	existing.Status.Conditions = []v1.NodeCondition{
		{Type: "FrequentKernelDeadlock", Status: v1.ConditionFalse, Reason: "NPD"},
		{Type: v1.NodeReady, Status: v1.ConditionUnknown, Reason: "NodeStatusUnknown"},
	}
	desired := Build(testSpec, testObs, Conditions(testObs, Readiness{}, nil, now0))
	desired.Name = "node-a"

	Apply(existing, desired)

	if existing.Labels["team"] != "blue" || existing.Labels[v1.LabelHostname] != testSpec.Name {
		t.Errorf("labels %v: want team kept and hostname set", existing.Labels)
	}
	if len(existing.Status.VolumesAttached) != 1 {
		t.Errorf("volumesAttached dropped: %v", existing.Status.VolumesAttached)
	}
	if c := find(existing.Status.Conditions, "FrequentKernelDeadlock"); c == nil {
		t.Error("a condition another component set was dropped")
	}
	if c := find(existing.Status.Conditions, v1.NodeReady); c == nil || c.Status != v1.ConditionTrue {
		t.Errorf("Ready = %+v, want True", c)
	}
	if len(existing.Status.Conditions) != 6 {
		t.Errorf("%d conditions, want the foreign one and the agent's five", len(existing.Status.Conditions))
	}
	if !existing.Status.Capacity.Pods().Equal(resource.MustParse("110")) {
		t.Errorf("capacity not updated: %v", existing.Status.Capacity)
	}
}

func TestStatusChangedIgnoresHeartbeatsAndForeignFields(t *testing.T) {
	base := Status(testSpec, testObs, Conditions(testObs, Readiness{}, nil, now0))
	later := Status(testSpec, testObs, Conditions(testObs, Readiness{}, base.Conditions, now1))
	if StatusChanged(base, later) {
		t.Error("a newer heartbeat alone counts as a change")
	}
	foreign := *later.DeepCopy()
	foreign.VolumesInUse = []v1.UniqueVolumeName{"x"}
	foreign.Conditions = append(foreign.Conditions, v1.NodeCondition{Type: "Other", Status: v1.ConditionTrue})
	if StatusChanged(base, foreign) {
		t.Error("fields the agent does not own count as a change")
	}
	moreMemory := testObs
	moreMemory.MemoryTotal *= 2
	if !StatusChanged(base, Status(testSpec, moreMemory, base.Conditions)) {
		t.Error("a capacity change is not a change")
	}
	notReady := Status(testSpec, testObs, Conditions(testObs, Readiness{Runtime: errTest}, base.Conditions, now1))
	if !StatusChanged(base, notReady) {
		t.Error("Ready turning False is not a change")
	}
}

func checkResources(t *testing.T, what string, got, want v1.ResourceList) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s %v, want %v", what, got, want)
		return
	}
	for name, q := range want {
		if g, ok := got[name]; !ok || !g.Equal(q) {
			t.Errorf("%s[%s] = %v, want %v", what, name, got[name], q.String())
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func equalAddresses(a, b []v1.NodeAddress) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
