package kubeapi

import (
	"context"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// PodObjects reads what a pod's volumes, env and image pulls name: the
// Node authorizer lets a node get a ConfigMap or Secret, and request a
// token for a service account, only for pods bound to it.
type PodObjects interface {
	ConfigMap(ctx context.Context, namespace, name string) (*v1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*v1.Secret, error)
	// CreateToken asks the TokenRequest API for a token of the service
	// account (serviceaccounts/token).
	CreateToken(ctx context.Context, namespace, serviceAccount string, req *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error)
}

// PodObjects returns the client of the objects pods refer to.
func (c *Client) PodObjects() PodObjects { return podObjects{c.core} }

type podObjects struct{ rc rest.Interface }

func (p podObjects) ConfigMap(ctx context.Context, namespace, name string) (*v1.ConfigMap, error) {
	out := &v1.ConfigMap{}
	return out, p.rc.Get().Namespace(namespace).Resource("configmaps").Name(name).Do(ctx).Into(out)
}

func (p podObjects) Secret(ctx context.Context, namespace, name string) (*v1.Secret, error) {
	out := &v1.Secret{}
	return out, p.rc.Get().Namespace(namespace).Resource("secrets").Name(name).Do(ctx).Into(out)
}

func (p podObjects) CreateToken(ctx context.Context, namespace, serviceAccount string, req *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	out := &authenticationv1.TokenRequest{}
	return out, p.rc.Post().Namespace(namespace).Resource("serviceaccounts").Name(serviceAccount).SubResource("token").
		VersionedParams(&metav1.CreateOptions{}, parameterCodec).Body(req).Do(ctx).Into(out)
}
