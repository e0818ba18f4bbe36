package kubeapi

import (
	"context"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A review is POSTed where the typed client posts it, and the API
// server's answer comes back decoded.
func TestSubjectAccessReviewIsPostedAndDecoded(t *testing.T) {
	client, seen := fakeAPIServer(t, map[string]func() (int, any){
		"POST /apis/authorization.k8s.io/v1/subjectaccessreviews": func() (int, any) {
			return 201, &authorizationv1.SubjectAccessReview{
				TypeMeta: metav1.TypeMeta{Kind: "SubjectAccessReview", APIVersion: "authorization.k8s.io/v1"},
				Status:   authorizationv1.SubjectAccessReviewStatus{Allowed: false, Reason: "no RBAC policy matched"},
			}
		},
	})
	out, err := client.SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: "get", Resource: "nodes", Subresource: "proxy", Name: "w",
		}},
	})
	if err != nil || out.Status.Allowed || out.Status.Reason != "no RBAC policy matched" {
		t.Fatalf("review = %+v, %v", out, err)
	}
	body := (*seen)[0].body
	for _, want := range []string{`"user":"alice"`, `"subresource":"proxy"`, `"apiVersion":"authorization.k8s.io/v1"`, `"kind":"SubjectAccessReview"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}
}
