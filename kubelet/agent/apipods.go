package agent

import (
	"context"
	"log/slog"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/apipods"
	"github.com/minikubelet/minikubelet/kubelet/node"
)

// newAPISource makes the sync loop's "api" source of the pods bound to this
// node. Its client comes from the cluster once joined (a bootstrapping
// node has none yet); setGrace and static reach the sync loop made after
// it.
func newAPISource(c *cluster, nodeName string, setGrace func(types.UID, int64), static func() []*v1.Pod, log *slog.Logger) *apipods.Source {
	return apipods.NewSource(apipods.SourceConfig{
		NodeName: nodeName,
		Client: func(ctx context.Context) (apipods.Lister, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-c.ready:
				return c.client.Pods(), nil
			}
		},
		// Admission matches nodeSelectors against the Node as the API
		// server has it (labels an operator added count), and the labels
		// the agent registers until the Node exists.
		Node: func(ctx context.Context) (*v1.Node, error) {
			return c.client.Nodes().Get(ctx, nodeName)
		},
		Labels:   node.Labels(node.Spec{Name: nodeName}),
		Local:    static,
		SetGrace: setGrace,
		Logger:   log.With("component", "apipods"),
	})
}

// localPods serves the sync loop's pods to the status loop.
type localPods struct{ kl *kubelet.Kubelet }

func (l localPods) PodStatuses() map[types.UID]v1.PodStatus {
	views := l.kl.Pods()
	out := make(map[types.UID]v1.PodStatus, len(views))
	for _, v := range views {
		if v.Source == kubelet.SourceAPI {
			out[v.Pod.UID] = v.Pod.Status
		}
	}
	return out
}

func (l localPods) Gone(uid types.UID) bool  { return l.kl.Gone(uid) }
func (l localPods) Changed() <-chan struct{} { return l.kl.Changed() }
func (l localPods) FinalStatus(uid types.UID) (v1.PodStatus, bool) {
	return l.kl.FinalStatus(uid)
}

// staticPodsOn are the node's static pods that hold their host ports: the
// manifest directory's, until they finish (a stopping one still holds
// them).
func staticPodsOn(kl *kubelet.Kubelet) []*v1.Pod {
	var pods []*v1.Pod
	for _, v := range kl.Pods() {
		if v.Source == kubelet.SourceFile && v.Pod.UID != "" && v.Pod.Status.Phase != v1.PodSucceeded && v.Pod.Status.Phase != v1.PodFailed {
			pods = append(pods, v.Pod)
		}
	}
	return pods
}
