package apiserver

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// NodeInfo describes the node for /api/v1/nodes, which `kubectl top node`
// reads for the node's allocatable CPU and memory and `kubectl get nodes`
// lists. The agent fills it in at start.
type NodeInfo struct {
	// CPUs and MemoryBytes are the node's capacity, all of it allocatable:
	// the agent reserves nothing for itself.
	CPUs        int
	MemoryBytes int64
	// MaxPods is the node's pod capacity (the agent's maxPods), shown as
	// capacity "pods" as the kubelet shows it; zero leaves it out.
	MaxPods int
	// KernelVersion, OSImage and ContainerRuntimeVersion
	// ("containerd://1.6.20") are shown by `get nodes -o wide`.
	KernelVersion, OSImage, ContainerRuntimeVersion string
	// Ready reports whether the node can run pods (the runtime and its
	// network are ready); nil means always.
	Ready func(context.Context) error
}

var nodeResource = schema.GroupResource{Resource: "nodes"}

// node is this node as a core v1 Node.
func (s *Server) node(ctx context.Context) *v1.Node {
	info := s.cfg.Node
	capacity := v1.ResourceList{
		v1.ResourceCPU:    *resource.NewQuantity(int64(info.CPUs), resource.DecimalSI),
		v1.ResourceMemory: *resource.NewQuantity(info.MemoryBytes, resource.BinarySI),
	}
	if info.MaxPods > 0 {
		capacity[v1.ResourcePods] = *resource.NewQuantity(int64(info.MaxPods), resource.DecimalSI)
	}
	now := metav1.NewTime(s.cfg.Now())
	ready := v1.NodeCondition{
		Type: v1.NodeReady, Status: v1.ConditionTrue, Reason: "KubeletReady", Message: "minikubelet is ready",
		LastHeartbeatTime: now, LastTransitionTime: metav1.NewTime(s.started),
	}
	if info.Ready != nil {
		if err := info.Ready(ctx); err != nil {
			ready.Status, ready.Reason, ready.Message = v1.ConditionFalse, "KubeletNotReady", err.Error()
		}
	}
	return &v1.Node{
		TypeMeta: metav1.TypeMeta{Kind: "Node", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: s.cfg.NodeName, ResourceVersion: "1",
			CreationTimestamp: metav1.NewTime(s.started),
			Labels:            s.nodeLabels(),
		},
		Status: v1.NodeStatus{
			Capacity: capacity, Allocatable: capacity.DeepCopy(),
			Conditions: []v1.NodeCondition{ready},
			Addresses:  []v1.NodeAddress{{Type: v1.NodeHostName, Address: s.cfg.NodeName}},
			NodeInfo: v1.NodeSystemInfo{
				KernelVersion: info.KernelVersion, OSImage: info.OSImage,
				ContainerRuntimeVersion: info.ContainerRuntimeVersion,
				KubeletVersion:          ServerVersion(s.cfg.Version).GitVersion,
				OperatingSystem:         runtime.GOOS, Architecture: runtime.GOARCH,
			},
		},
	}
}

// nodeLabels are the well-known labels a kubelet puts on its node.
func (s *Server) nodeLabels() map[string]string {
	return map[string]string{
		v1.LabelHostname: s.cfg.NodeName, v1.LabelOSStable: runtime.GOOS, v1.LabelArchStable: runtime.GOARCH,
	}
}

// listNodes serves GET /api/v1/nodes: this node, if the selectors match.
func (s *Server) listNodes(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err == nil {
		err = checkFieldLabels(q.fields, nodeFields(&v1.Node{}))
	}
	if err == nil && q.watch {
		err = methodNotSupported("watch", "nodes")
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	var nodes []*v1.Node
	if node := s.node(r.Context()); q.labels.Matches(labels.Set(node.Labels)) && q.fields.Matches(nodeFields(node)) {
		nodes = append(nodes, node)
	}
	if tv := tableVersion(r); tv != "" {
		s.writeNodeTable(w, r, tv, nodes)
		return
	}
	list := v1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}, ListMeta: metav1.ListMeta{ResourceVersion: "1"}}
	for _, n := range nodes {
		list.Items = append(list.Items, *n)
	}
	writeJSON(w, http.StatusOK, list)
}

// getNode serves GET /api/v1/nodes/{name}.
func (s *Server) getNode(w http.ResponseWriter, r *http.Request) {
	if name := r.PathValue("name"); name != s.cfg.NodeName {
		writeError(w, s.log, apierrors.NewNotFound(nodeResource, name))
		return
	}
	node := s.node(r.Context())
	if tv := tableVersion(r); tv != "" {
		s.writeNodeTable(w, r, tv, []*v1.Node{node})
		return
	}
	writeJSON(w, http.StatusOK, node)
}

func (s *Server) writeNodeTable(w http.ResponseWriter, r *http.Request, version string, nodes []*v1.Node) {
	policy, err := includeObject(r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	table := newTable(version, nodeColumns)
	table.ResourceVersion = "1"
	for _, n := range nodes {
		table.Rows = append(table.Rows, nodeRow(n, s.cfg.Now(), rowObject(version, policy, n, &n.ObjectMeta)))
	}
	writeJSON(w, http.StatusOK, table)
}

// nodeColumns follow `kubectl get nodes`.
var nodeColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "The node's name."},
	{Name: "Status", Type: "string", Description: "Ready or NotReady."},
	{Name: "Roles", Type: "string", Description: "Node roles: none for a standalone node."},
	{Name: "Age", Type: "string", Description: "Time since the agent started."},
	{Name: "Version", Type: "string", Description: "The Kubernetes version the node API follows, with the agent's."},
	{Name: "Internal-IP", Type: "string", Priority: 1, Description: "Not known to a standalone node."},
	{Name: "External-IP", Type: "string", Priority: 1, Description: "Not known to a standalone node."},
	{Name: "OS-Image", Type: "string", Priority: 1, Description: "The host's operating system."},
	{Name: "Kernel-Version", Type: "string", Priority: 1, Description: "The host's kernel."},
	{Name: "Container-Runtime", Type: "string", Priority: 1, Description: "The CRI runtime and its version."},
}

func nodeRow(n *v1.Node, now time.Time, object kruntime.RawExtension) metav1.TableRow {
	status := "NotReady"
	for _, c := range n.Status.Conditions {
		if c.Type == v1.NodeReady && c.Status == v1.ConditionTrue {
			status = "Ready"
		}
	}
	info := n.Status.NodeInfo
	return metav1.TableRow{
		Cells: []any{n.Name, status, none, age(n.CreationTimestamp, now), info.KubeletVersion,
			none, none, orUnknown(info.OSImage), orUnknown(info.KernelVersion), orUnknown(info.ContainerRuntimeVersion)},
		Object: object,
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

// nodeFields are the node fields a field selector may name.
func nodeFields(n *v1.Node) fields.Set {
	return fields.Set{"metadata.name": n.Name, "spec.unschedulable": strconv.FormatBool(n.Spec.Unschedulable)}
}
