package podobjects

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// fakeAPI counts the calls and answers from its maps.
type fakeAPI struct {
	mu         sync.Mutex
	configMaps map[string]*v1.ConfigMap
	gets       atomic.Int32
	tokens     atomic.Int32
	tokenErr   error
	lastToken  *authenticationv1.TokenRequest
	release    chan struct{} // when set, each GET waits for it
	now        func() time.Time
	grant      time.Duration // when set, the lifetime granted whatever was asked
}

func (f *fakeAPI) ConfigMap(_ context.Context, namespace, name string) (*v1.ConfigMap, error) {
	f.gets.Add(1)
	if f.release != nil {
		<-f.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cm, ok := f.configMaps[namespace+"/"+name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(v1.Resource("configmaps"), name)
}

func (f *fakeAPI) Secret(context.Context, string, string) (*v1.Secret, error) {
	return nil, errors.New("not used")
}

func (f *fakeAPI) CreateToken(_ context.Context, _, _ string, req *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	n := f.tokens.Add(1)
	if f.tokenErr != nil {
		return nil, f.tokenErr
	}
	f.lastToken = req
	out := req.DeepCopy()
	out.Status.Token = "token-" + string(rune('0'+n))
	lifetime := time.Duration(*req.Spec.ExpirationSeconds) * time.Second
	if f.grant > 0 {
		lifetime = f.grant
	}
	out.Status.ExpirationTimestamp = metav1.NewTime(f.now().Add(lifetime))
	return out, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// Reads within the TTL cost no GET, a missing object is remembered as
// missing, and after the TTL the object is read again.
func TestConfigMapsAreReadOncePerTTL(t *testing.T) {
	api := &fakeAPI{configMaps: map[string]*v1.ConfigMap{"ns/a": {Data: map[string]string{"k": "1"}}}}
	clk := &clock{t: time.Unix(0, 0)}
	cache := New(api, 10*time.Second, clk.now)
	ctx := context.Background()
	for range 3 {
		if cm, err := cache.ConfigMap(ctx, "ns", "a"); err != nil || cm.Data["k"] != "1" {
			t.Fatalf("ConfigMap = %v, %v", cm, err)
		}
		if _, err := cache.ConfigMap(ctx, "ns", "missing"); !apierrors.IsNotFound(err) {
			t.Fatalf("missing ConfigMap: %v, want NotFound", err)
		}
	}
	if n := api.gets.Load(); n != 2 {
		t.Errorf("%d GETs for 6 reads of 2 objects within the TTL, want 2", n)
	}
	api.configMaps["ns/a"] = &v1.ConfigMap{Data: map[string]string{"k": "2"}}
	clk.t = clk.t.Add(10 * time.Second)
	if cm, _ := cache.ConfigMap(ctx, "ns", "a"); cm.Data["k"] != "2" {
		t.Errorf("after the TTL the ConfigMap is %v, want the update", cm.Data)
	}
}

// Readers of the same object at once share one GET.
func TestConcurrentReadersShareOneGet(t *testing.T) {
	api := &fakeAPI{configMaps: map[string]*v1.ConfigMap{"ns/a": {}}, release: make(chan struct{})}
	cache := New(api, time.Minute, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := cache.ConfigMap(context.Background(), "ns", "a"); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(api.release)
	wg.Wait()
	if n := api.gets.Load(); n != 1 {
		t.Errorf("%d GETs for 20 concurrent readers, want 1", n)
	}
}

// A token is bound to the pod and reused until 80 % of its lifetime; a
// failed refresh keeps serving the old token while it is valid, then fails.
func TestTokensAreBoundToThePodAndRefreshedBeforeExpiry(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	api := &fakeAPI{now: clk.now}
	cache := New(api, 0, clk.now)
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1"}}
	seconds := int64(1000)
	projection := &v1.ServiceAccountTokenProjection{Audience: "vault", ExpirationSeconds: &seconds}
	ctx := context.Background()
	first, err := cache.ServiceAccountToken(ctx, pod, projection)
	if err != nil {
		t.Fatal(err)
	}
	if ref := api.lastToken.Spec.BoundObjectRef; ref == nil || ref.Kind != "Pod" || ref.UID != "u1" || ref.Name != "web" {
		t.Errorf("token bound to %+v, want the pod", ref)
	}
	if got := api.lastToken.Spec.Audiences; len(got) != 1 || got[0] != "vault" {
		t.Errorf("audiences %v, want [vault]", got)
	}
	clk.t = clk.t.Add(799 * time.Second)
	if again, _ := cache.ServiceAccountToken(ctx, pod, projection); again != first || api.tokens.Load() != 1 {
		t.Errorf("at 79.9 %% of its life the token was requested again (%d requests)", api.tokens.Load())
	}
	clk.t = clk.t.Add(2 * time.Second)
	if refreshed, _ := cache.ServiceAccountToken(ctx, pod, projection); refreshed == first {
		t.Errorf("at 80 %% of its life the token was not refreshed")
	}
	api.tokenErr = errors.New("API server down")
	clk.t = clk.t.Add(900 * time.Second) // due for refresh, still valid
	if kept, err := cache.ServiceAccountToken(ctx, pod, projection); err != nil || kept == "" {
		t.Errorf("a failed refresh of a valid token: %q, %v; want the old token", kept, err)
	}
	clk.t = clk.t.Add(200 * time.Second) // expired
	if _, err := cache.ServiceAccountToken(ctx, pod, projection); err == nil {
		t.Errorf("an expired token was served while the API server failed")
	}
}

// A token the API server granted for less than was asked is refreshed at
// 80 % of what it granted, not of what was asked.
func TestTokenRefreshFollowsTheGrantedLifetime(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	api := &fakeAPI{now: clk.now, grant: 1000 * time.Second}
	cache := New(api, 0, clk.now)
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1"}}
	day := int64(86400)
	projection := &v1.ServiceAccountTokenProjection{ExpirationSeconds: &day}
	ctx := context.Background()
	first, err := cache.ServiceAccountToken(ctx, pod, projection)
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(801 * time.Second)
	if again, _ := cache.ServiceAccountToken(ctx, pod, projection); again == first {
		t.Errorf("at 80 %% of the granted 1000 s the token was not refreshed (asked for a day)")
	}
}

// A full cache still refreshes the tokens it keeps: the refreshed token
// replaces the old one instead of being asked for again at every call.
func TestFullCacheStillReplacesItsTokens(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	api := &fakeAPI{now: clk.now}
	cache := New(api, 0, clk.now)
	seconds := int64(1000)
	projection := &v1.ServiceAccountTokenProjection{ExpirationSeconds: &seconds}
	ctx := context.Background()
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1"}}
	if _, err := cache.ServiceAccountToken(ctx, pod, projection); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < maxEntries; i++ {
		other := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: types.UID(fmt.Sprint(i))}}
		if _, err := cache.ServiceAccountToken(ctx, other, projection); err != nil {
			t.Fatal(err)
		}
	}
	clk.t = clk.t.Add(801 * time.Second) // due for refresh, not expired
	if _, err := cache.ServiceAccountToken(ctx, pod, projection); err != nil {
		t.Fatal(err)
	}
	before := api.tokens.Load()
	if _, err := cache.ServiceAccountToken(ctx, pod, projection); err != nil {
		t.Fatal(err)
	}
	if after := api.tokens.Load(); after != before {
		t.Errorf("a refreshed token of a full cache was requested again (%d more requests)", after-before)
	}
}
