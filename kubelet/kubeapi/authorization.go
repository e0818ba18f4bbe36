package kubeapi

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// SubjectAccessReviews asks the API server whether a user may do
// something: the node endpoint's authorizer, as the kubelet's webhook
// authorizer asks.
type SubjectAccessReviews interface {
	Create(ctx context.Context, review *authorizationv1.SubjectAccessReview) (*authorizationv1.SubjectAccessReview, error)
}

// SubjectAccessReviews returns the client of SubjectAccessReviews.
func (c *Client) SubjectAccessReviews() SubjectAccessReviews { return accessReviews{c.authorization} }

type accessReviews struct{ rc rest.Interface }

func (a accessReviews) Create(ctx context.Context, review *authorizationv1.SubjectAccessReview) (*authorizationv1.SubjectAccessReview, error) {
	out := &authorizationv1.SubjectAccessReview{}
	return out, a.rc.Post().Resource("subjectaccessreviews").VersionedParams(&metav1.CreateOptions{}, parameterCodec).Body(review).Do(ctx).Into(out)
}
