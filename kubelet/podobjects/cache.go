package podobjects

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

// DefaultTTL is how long a ConfigMap or Secret read is reused. The
// kubelet's TTL cache keeps objects a minute; shorter here so an update
// reaches a volume within one refresh period of the write.
const DefaultTTL = 10 * time.Second

// requestTimeout bounds each call to the API server.
const requestTimeout = 10 * time.Second

// maxEntries bounds each cache; past it, expired entries are dropped (a
// node holds at most maxPods pods, each naming a few objects).
const maxEntries = 4096

// Cache reads ConfigMaps and Secrets through a TTL cache and tokens
// through a cache that refreshes them before they expire. A missing
// object is cached too (its error), so a pod waiting for it does not
// hammer the API server. Safe for concurrent use.
type Cache struct {
	api kubeapi.PodObjects
	ttl time.Duration
	now func() time.Time

	mu         sync.Mutex
	configMaps map[objectKey]entry[*v1.ConfigMap]
	secrets    map[objectKey]entry[*v1.Secret]
	tokens     map[tokenKey]token
	calls      singleflight.Group
}

type objectKey struct{ namespace, name string }

type entry[T any] struct {
	object T
	err    error
	read   time.Time
}

// New makes a cache of api's objects; ttl 0 means DefaultTTL, now nil
// means time.Now.
func New(api kubeapi.PodObjects, ttl time.Duration, now func() time.Time) *Cache {
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{api: api, ttl: ttl, now: now,
		configMaps: map[objectKey]entry[*v1.ConfigMap]{}, secrets: map[objectKey]entry[*v1.Secret]{}, tokens: map[tokenKey]token{}}
}

// ConfigMap returns the named ConfigMap. The error of a missing one is
// the API server's NotFound (apierrors.IsNotFound).
func (c *Cache) ConfigMap(ctx context.Context, namespace, name string) (*v1.ConfigMap, error) {
	return cached(c, ctx, c.configMaps, "configmap", objectKey{namespace, name}, c.api.ConfigMap)
}

// Secret returns the named Secret, as ConfigMap does.
func (c *Cache) Secret(ctx context.Context, namespace, name string) (*v1.Secret, error) {
	return cached(c, ctx, c.secrets, "secret", objectKey{namespace, name}, c.api.Secret)
}

// cached answers from entries while fresh; otherwise one GET serves every
// caller that asks for the same object at once. Callers must not change
// what they get: it is shared.
func cached[T any](c *Cache, ctx context.Context, entries map[objectKey]entry[T], kind string, key objectKey,
	get func(context.Context, string, string) (T, error)) (T, error) {
	c.mu.Lock()
	e, ok := entries[key]
	c.mu.Unlock()
	if ok && c.now().Sub(e.read) < c.ttl {
		return e.object, e.err
	}
	results := c.calls.DoChan(kind+"/"+key.namespace+"/"+key.name, func() (any, error) {
		// Not the caller's context: other callers share this read.
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer cancel()
		object, err := get(callCtx, key.namespace, key.name)
		if err != nil {
			err = fmt.Errorf("reading %s %s/%s: %w", kind, key.namespace, key.name, err)
		}
		c.mu.Lock()
		if len(entries) >= maxEntries {
			dropExpired(entries, c.now(), c.ttl)
		}
		if len(entries) < maxEntries { // else served, not kept
			entries[key] = entry[T]{object: object, err: err, read: c.now()}
		}
		c.mu.Unlock()
		return object, err
	})
	select {
	case r := <-results:
		object, _ := r.Val.(T)
		return object, r.Err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func dropExpired[T any](entries map[objectKey]entry[T], now time.Time, ttl time.Duration) {
	for key, e := range entries {
		if now.Sub(e.read) >= ttl {
			delete(entries, key)
		}
	}
}
