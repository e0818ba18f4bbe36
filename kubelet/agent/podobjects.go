package agent

import (
	"context"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
	"github.com/minikubelet/minikubelet/kubelet/podobjects"
	"github.com/minikubelet/minikubelet/kubelet/servicelinks"
)

// newPodObjects reads the objects API pods refer to through the
// cluster's client, once TLS bootstrapping has made one.
func newPodObjects(c *cluster) *podobjects.Cache {
	return podobjects.New(clusterPodObjects{c}, 0, nil)
}

// clusterPodObjects waits for the cluster's client: a pod's volumes are
// set up only after the pod came from that client, but the type system
// does not know that.
type clusterPodObjects struct{ c *cluster }

func (o clusterPodObjects) api(ctx context.Context) (kubeapi.PodObjects, error) {
	select {
	case <-o.c.ready:
		return o.c.client.PodObjects(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (o clusterPodObjects) ConfigMap(ctx context.Context, namespace, name string) (*v1.ConfigMap, error) {
	api, err := o.api(ctx)
	if err != nil {
		return nil, err
	}
	return api.ConfigMap(ctx, namespace, name)
}

func (o clusterPodObjects) Secret(ctx context.Context, namespace, name string) (*v1.Secret, error) {
	api, err := o.api(ctx)
	if err != nil {
		return nil, err
	}
	return api.Secret(ctx, namespace, name)
}

func (o clusterPodObjects) CreateToken(ctx context.Context, namespace, serviceAccount string, req *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	api, err := o.api(ctx)
	if err != nil {
		return nil, err
	}
	return api.CreateToken(ctx, namespace, serviceAccount, req)
}

// newServiceWatcher keeps the cluster's Services for pods' service
// variables, reading once the cluster's client exists.
func newServiceWatcher(c *cluster) *servicelinks.Watcher {
	return servicelinks.New(func(ctx context.Context) (kubeapi.Services, error) {
		if !c.waitClient(ctx) {
			return nil, ctx.Err()
		}
		return c.client.Services(), nil
	})
}

// serviceLister is w as the Kubelet's Services, nil (not a nil *Watcher in
// an interface) on a standalone node.
func serviceLister(w *servicelinks.Watcher) interface {
	ForPod(namespace string, enableServiceLinks *bool, static bool) ([]*v1.Service, error)
} {
	if w == nil {
		return nil
	}
	return w
}
