package volume

import (
	"context"

	v1 "k8s.io/api/core/v1"
)

// Objects reads what pods from the API server refer to; nil on a
// standalone node, where no pod may refer to any. A missing ConfigMap or
// Secret is the API server's NotFound (apierrors.IsNotFound).
type Objects interface {
	ConfigMap(ctx context.Context, namespace, name string) (*v1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*v1.Secret, error)
	// ServiceAccountToken is a token of the pod's service account for
	// the projection, bound to the pod.
	ServiceAccountToken(ctx context.Context, pod *v1.Pod, projection *v1.ServiceAccountTokenProjection) (string, error)
}
