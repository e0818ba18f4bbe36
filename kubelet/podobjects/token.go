package podobjects

import (
	"context"
	"errors"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// maxTokenAge is when a token is refreshed whatever its lifetime, as the
// kubelet's token manager does: a long-lived token is still rotated daily.
const maxTokenAge = 24 * time.Hour

// tokenKey is one projection of one pod: the token is bound to the pod,
// so two pods never share one.
type tokenKey struct {
	namespace, serviceAccount, audience string
	expirationSeconds                   int64
	podName                             string
	podUID                              types.UID
}

type token struct {
	value           string
	issued, expires time.Time
}

// refreshAt is when a token should be replaced: at 80 % of the lifetime
// the API server granted (it may shorten what was asked for, to its
// --service-account-max-token-expiration), or after a day, whichever is
// first.
func (t token) refreshAt() time.Time {
	lifetime := t.expires.Sub(t.issued)
	at := t.issued.Add(lifetime * 8 / 10)
	if daily := t.issued.Add(maxTokenAge); daily.Before(at) {
		at = daily
	}
	return at
}

// ServiceAccountToken returns a token for the pod's service account with
// the projection's audience (the API server's own when empty) and
// lifetime, bound to the pod so it dies with it; a cached one until it
// is due for refresh. A failed refresh keeps serving the old token while
// it is still valid, as the kubelet does.
func (c *Cache) ServiceAccountToken(ctx context.Context, pod *v1.Pod, projection *v1.ServiceAccountTokenProjection) (string, error) {
	serviceAccount := pod.Spec.ServiceAccountName
	if serviceAccount == "" {
		serviceAccount = "default"
	}
	seconds := int64(3600)
	if projection.ExpirationSeconds != nil {
		seconds = *projection.ExpirationSeconds
	}
	key := tokenKey{pod.Namespace, serviceAccount, projection.Audience, seconds, pod.Name, pod.UID}
	c.mu.Lock()
	cached, ok := c.tokens[key]
	c.mu.Unlock()
	now := c.now()
	if ok && now.Before(cached.refreshAt()) && now.Before(cached.expires) {
		return cached.value, nil
	}
	fresh, err := c.requestToken(ctx, key)
	if err != nil {
		if ok && now.Before(cached.expires) {
			return cached.value, nil
		}
		return "", err
	}
	c.mu.Lock()
	if len(c.tokens) >= maxEntries {
		for k, t := range c.tokens {
			if !now.Before(t.expires) {
				delete(c.tokens, k)
			}
		}
	}
	if _, kept := c.tokens[key]; kept || len(c.tokens) < maxEntries { // else served, not kept
		c.tokens[key] = fresh
	}
	c.mu.Unlock()
	return fresh.value, nil
}

func (c *Cache) requestToken(ctx context.Context, key tokenKey) (token, error) {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: &key.expirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: key.podName, UID: key.podUID},
	}}
	if key.audience != "" {
		req.Spec.Audiences = []string{key.audience}
	}
	callCtx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	issued := c.now()
	got, err := c.api.CreateToken(callCtx, key.namespace, key.serviceAccount, req)
	if err != nil {
		return token{}, fmt.Errorf("requesting a token for service account %s/%s (pod %s): %w", key.namespace, key.serviceAccount, key.podName, err)
	}
	if got.Status.Token == "" {
		return token{}, errors.New("the API server answered the token request without a token")
	}
	return token{value: got.Status.Token, issued: issued, expires: got.Status.ExpirationTimestamp.Time}, nil
}

// ForgetPod drops the tokens of a pod that is gone.
func (c *Cache) ForgetPod(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.tokens {
		if k.podUID == uid {
			delete(c.tokens, k)
		}
	}
}
