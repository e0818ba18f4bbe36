package nodeserver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// Reviewer creates SubjectAccessReviews in the API server
// (kubeapi.SubjectAccessReviews).
type Reviewer interface {
	Create(ctx context.Context, review *authorizationv1.SubjectAccessReview) (*authorizationv1.SubjectAccessReview, error)
}

// decision is the API server's answer to one review.
type decision struct {
	allowed bool
	// reason is the API server's reason or evaluation error, for the
	// refusal's message.
	reason string
}

// authorizer asks the API server and remembers allowed answers for ttl,
// at most max of them. Denials are not remembered, so a role granted
// takes effect at the next request.
type authorizer struct {
	reviews Reviewer
	timeout time.Duration
	ttl     time.Duration
	max     int
	now     func() time.Time

	mu      sync.Mutex
	allowed map[string]time.Time // key → expiry
}

func (a *authorizer) authorize(ctx context.Context, spec authorizationv1.SubjectAccessReviewSpec) (decision, error) {
	key := cacheKey(spec)
	if a.cached(key) {
		return decision{allowed: true}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	out, err := a.reviews.Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec})
	if err != nil {
		return decision{}, fmt.Errorf("asking the API server whether %s may %s: %w", spec.User, describe(spec), err)
	}
	d := decision{allowed: out.Status.Allowed && !out.Status.Denied, reason: out.Status.Reason}
	if out.Status.EvaluationError != "" {
		d.reason = strings.TrimSpace(d.reason + " " + out.Status.EvaluationError)
	}
	if d.allowed {
		a.remember(key)
	}
	return d, nil
}

func (a *authorizer) cached(key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	expiry, ok := a.allowed[key]
	if ok && a.now().After(expiry) {
		delete(a.allowed, key)
		return false
	}
	return ok
}

// remember keeps an allowed answer; when full it first drops the expired
// ones, then, if still full, any one: the cache stays bounded whatever
// the clients send.
func (a *authorizer) remember(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if len(a.allowed) >= a.max {
		for k, expiry := range a.allowed {
			if now.After(expiry) {
				delete(a.allowed, k)
			}
		}
	}
	for k := range a.allowed {
		if len(a.allowed) < a.max {
			break
		}
		delete(a.allowed, k)
	}
	a.allowed[key] = now.Add(a.ttl)
}

// cacheKey names everything the answer depends on.
func cacheKey(spec authorizationv1.SubjectAccessReviewSpec) string {
	r := spec.ResourceAttributes
	return strings.Join([]string{spec.User, strings.Join(spec.Groups, ","), r.Verb, r.Resource, r.Subresource, r.Name}, "\x00")
}

// describe says what a review asks, as the kubelet's refusals do.
func describe(spec authorizationv1.SubjectAccessReviewSpec) string {
	r := spec.ResourceAttributes
	return fmt.Sprintf("verb=%s resource=%s subresource=%s name=%s", r.Verb, r.Resource, r.Subresource, r.Name)
}
