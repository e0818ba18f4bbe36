package node

import (
	"runtime"

	v1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The kubelet's default hard eviction thresholds on Linux. Allocatable is
// capacity less these, as the kubelet computes it with no reservations,
// and the pressure conditions turn True past them.
const (
	// evictionMemoryAvailable is memory.available<100Mi.
	evictionMemoryAvailable = 100 << 20
	// evictionNodefsPercent is nodefs.available<10%.
	evictionNodefsPercent = 10
	// evictionInodesPercent is nodefs.inodesFree<5%.
	evictionInodesPercent = 5
	// pidPressurePercent: fewer than this share of PIDs free is PID
	// pressure. The kubelet has no default pid.available threshold; 10 %
	// leaves room to act before fork fails.
	pidPressurePercent = 10
)

// Build is the Node the agent registers: labels, addresses, capacity,
// allocatable, nodeInfo and endpoint from spec and obs, with conds as
// its conditions. It is pure.
func Build(spec Spec, obs Observations, conds []v1.NodeCondition) *v1.Node {
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: spec.Name, Labels: Labels(spec)},
		Status:     Status(spec, obs, conds),
	}
}

// Labels are the well-known labels a kubelet puts on its Node.
func Labels(spec Spec) map[string]string {
	return map[string]string{
		v1.LabelHostname:   spec.Name,
		v1.LabelOSStable:   runtime.GOOS,
		v1.LabelArchStable: runtime.GOARCH,
	}
}

// Status is the NodeStatus the agent reports. It is pure.
func Status(spec Spec, obs Observations, conds []v1.NodeCondition) v1.NodeStatus {
	capacity := capacity(spec, obs)
	return v1.NodeStatus{
		Capacity:        capacity,
		Allocatable:     allocatable(capacity),
		Conditions:      conds,
		Addresses:       addresses(spec),
		DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: spec.KubeletPort}},
		NodeInfo: v1.NodeSystemInfo{
			MachineID: obs.MachineID, SystemUUID: obs.SystemUUID, BootID: obs.BootID,
			KernelVersion: obs.KernelVersion, OSImage: obs.OSImage,
			ContainerRuntimeVersion: spec.RuntimeVersion,
			KubeletVersion:          spec.KubeletVersion,
			OperatingSystem:         runtime.GOOS, Architecture: runtime.GOARCH,
		},
	}
}

// addresses are InternalIP first, then Hostname, as the kubelet lists them.
func addresses(spec Spec) []v1.NodeAddress {
	var list []v1.NodeAddress
	if spec.InternalIP != nil {
		list = append(list, v1.NodeAddress{Type: v1.NodeInternalIP, Address: spec.InternalIP.String()})
	}
	return append(list, v1.NodeAddress{Type: v1.NodeHostName, Address: spec.Name})
}

// capacity lists what the node has; a resource that could not be read is
// left out rather than shown as zero.
func capacity(spec Spec, obs Observations) v1.ResourceList {
	list := v1.ResourceList{
		v1.ResourcePods: *resource.NewQuantity(int64(spec.MaxPods), resource.DecimalSI),
	}
	if obs.CPUs > 0 {
		list[v1.ResourceCPU] = *resource.NewQuantity(int64(obs.CPUs), resource.DecimalSI)
	}
	if obs.MemoryTotal > 0 {
		list[v1.ResourceMemory] = *resource.NewQuantity(obs.MemoryTotal, resource.BinarySI)
	}
	if obs.FSCapacity > 0 {
		list[v1.ResourceEphemeralStorage] = *resource.NewQuantity(int64(min(obs.FSCapacity, 1<<62)), resource.BinarySI)
	}
	return list
}

// Allocatable is what the node offers pods, from what it observed: the
// Node's status.allocatable, and the limits a container without its own
// gets through the downward API.
func Allocatable(obs Observations, maxPods int) v1.ResourceList {
	return allocatable(capacity(Spec{MaxPods: maxPods}, obs))
}

// allocatable is capacity less the hard eviction thresholds, as the
// kubelet's node allocatable without kube- or system-reserved.
func allocatable(capacity v1.ResourceList) v1.ResourceList {
	list := capacity.DeepCopy()
	if mem, ok := list[v1.ResourceMemory]; ok {
		list[v1.ResourceMemory] = *resource.NewQuantity(max(mem.Value()-evictionMemoryAvailable, 0), resource.BinarySI)
	}
	if disk, ok := list[v1.ResourceEphemeralStorage]; ok {
		list[v1.ResourceEphemeralStorage] = *resource.NewQuantity(disk.Value()-disk.Value()*evictionNodefsPercent/100, resource.BinarySI)
	}
	return list
}

// Apply sets on n what the agent owns of its Node, from desired (a
// Build): the well-known labels, capacity, allocatable, addresses,
// nodeInfo, daemon endpoints and the agent's condition types. Other
// labels, conditions and status fields (volumesAttached, images) are
// others' and stay. It is pure.
func Apply(n, desired *v1.Node) {
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	for key, value := range desired.Labels {
		n.Labels[key] = value
	}
	s, d := &n.Status, desired.Status
	s.Capacity, s.Allocatable = d.Capacity, d.Allocatable
	s.Addresses, s.NodeInfo, s.DaemonEndpoints = d.Addresses, d.NodeInfo, d.DaemonEndpoints
	for _, c := range d.Conditions {
		if old := find(s.Conditions, c.Type); old != nil {
			*old = c
		} else {
			s.Conditions = append(s.Conditions, c)
		}
	}
}

// StatusChanged reports whether what the agent reports differs between
// two statuses, heartbeat times aside, as the kubelet's
// nodeStatusHasChanged. Fields and conditions others own are ignored.
func StatusChanged(old, updated v1.NodeStatus) bool {
	return !apiequality.Semantic.DeepEqual(owned(old), owned(updated))
}

// owned is the part of a status the agent reports, without heartbeats.
func owned(s v1.NodeStatus) v1.NodeStatus {
	out := v1.NodeStatus{
		Capacity: s.Capacity, Allocatable: s.Allocatable, Addresses: s.Addresses,
		NodeInfo: s.NodeInfo, DaemonEndpoints: s.DaemonEndpoints,
	}
	for _, t := range ownedConditions {
		if c := find(s.Conditions, t); c != nil {
			c := *c
			c.LastHeartbeatTime = metav1.Time{}
			out.Conditions = append(out.Conditions, c)
		}
	}
	return out
}

// ownedConditions are the condition types the agent reports.
var ownedConditions = []v1.NodeConditionType{
	v1.NodeReady, v1.NodeMemoryPressure, v1.NodeDiskPressure, v1.NodePIDPressure, v1.NodeNetworkUnavailable,
}
