package apiserver

import (
	"fmt"
	"math"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestRequestedGrace(t *testing.T) {
	tests := []struct {
		name  string
		given *int64
		want  *int64
	}{
		{"none given", nil, nil},
		{"negative means one second, as the API server's pod strategy says", new(int64(-5)), new(int64(1))},
		{"min int64", new(int64(math.MinInt64)), new(int64(1))},
		{"zero stays zero (the sync loop applies its floor)", new(int64(0)), new(int64(0))},
		{"ordinary", new(int64(3)), new(int64(3))},
		{"huge is passed on: the sync loop clamps it", new(int64(9223372036)), new(int64(9223372036))},
		{"max int64", new(int64(math.MaxInt64)), new(int64(math.MaxInt64))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := requestedGrace(metav1.DeleteOptions{GracePeriodSeconds: tt.given})
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("requestedGrace = %v, want %v", ptrString(got), ptrString(tt.want))
			}
		})
	}
}

func TestDeleteOptionsFromQuery(t *testing.T) {
	tests := []struct {
		query   string
		want    *int64
		wantErr string
	}{
		{"", nil, ""},
		{"dryRun=All", nil, ""},
		{"gracePeriodSeconds=30", new(int64(30)), ""},
		{"gracePeriodSeconds=-1", new(int64(-1)), ""},
		{"gracePeriodSeconds=9223372036", new(int64(9223372036)), ""},
		{"gracePeriodSeconds=abc", nil, "gracePeriodSeconds=abc: give a whole number of seconds"},
		{"gracePeriodSeconds=9223372036854775808", nil, "give a whole number of seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			query, _ := url.ParseQuery(tt.query)
			opts, err := deleteOptionsFromQuery(query)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			got := opts.GracePeriodSeconds
			if err != nil || (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("gracePeriodSeconds = %v, %v; want %v", ptrString(got), err, ptrString(tt.want))
			}
		})
	}
}

func TestDeletionGracePeriod(t *testing.T) {
	withSpec := &v1.Pod{Spec: v1.PodSpec{TerminationGracePeriodSeconds: new(int64(45))}}
	tests := []struct {
		name      string
		pod       *v1.Pod
		requested *int64
		want      int64
	}{
		{"the delete's", withSpec, new(int64(3)), 3},
		{"the pod's", withSpec, nil, 45},
		{"the API's default", &v1.Pod{}, nil, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deletionGracePeriod(tt.pod, tt.requested); got != tt.want {
				t.Errorf("deletionGracePeriod = %d, want %d", got, tt.want)
			}
		})
	}
}

// graceRecorder is the test source plus the sync loop's grace override.
type graceRecorder struct {
	*dirSource
	mu  sync.Mutex
	got map[types.UID]int64
}

func (g *graceRecorder) SetDeletionGracePeriod(uid types.UID, seconds int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got[uid] = seconds
}

// TestDeleteHandsItsGracePeriodOn: the grace period of a DELETE, in its
// body or, without a body, its query, reaches the sync loop and the answer
// (deletionGracePeriodSeconds); a negative one counts as one second.
func TestDeleteHandsItsGracePeriodOn(t *testing.T) {
	tests := []struct {
		name, query, body string
		wantSet           *int64 // what the sync loop is told; nil: nothing
		wantReported      int64
	}{
		{"none: the pod's own", "", "", nil, 30},
		{"body", "", `{"gracePeriodSeconds":9223372036}`, new(int64(9223372036)), 9223372036},
		{"query", "?gracePeriodSeconds=9223372036", "", new(int64(9223372036)), 9223372036},
		{"negative query", "?gracePeriodSeconds=-3", "", new(int64(1)), 1},
		{"negative body", "", `{"gracePeriodSeconds":-3}`, new(int64(1)), 1},
		{"a body wins over the query, as in the API server", "?gracePeriodSeconds=7", `{"gracePeriodSeconds":4}`, new(int64(4)), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &graceRecorder{dirSource: newDirSource(t), got: map[types.UID]int64{}}
			s, err := New(Config{Pods: src, ManifestDir: src.dir, NodeName: testNode, CreateWait: 200 * time.Millisecond,
				Now: func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s.Handler())
			t.Cleanup(srv.Close)
			src.write(t, "web.yaml", podYAML("web"))

			code, resp := do(t, "DELETE", srv.URL+"/api/v1/namespaces/default/pods/web"+tt.query, "application/json", tt.body)
			pod := decode[v1.Pod](t, resp)
			if code != 200 || pod.DeletionGracePeriodSeconds == nil || *pod.DeletionGracePeriodSeconds != tt.wantReported {
				t.Errorf("delete = %d, deletionGracePeriodSeconds %v, want 200 and %d\n%s", code, ptrString(pod.DeletionGracePeriodSeconds), tt.wantReported, resp)
			}
			src.mu.Lock()
			defer src.mu.Unlock()
			got, set := src.got[pod.UID]
			switch {
			case tt.wantSet == nil && set:
				t.Errorf("the sync loop was told %d, want nothing (the pod's own grace period)", got)
			case tt.wantSet != nil && (!set || got != *tt.wantSet):
				t.Errorf("the sync loop was told %v (set %v), want %d", got, set, *tt.wantSet)
			}
		})
	}
}

func TestDeleteRefusesAMalformedGracePeriod(t *testing.T) {
	src, srv, s := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	code, resp := do(t, "DELETE", srv.URL+"/api/v1/namespaces/default/pods/web?gracePeriodSeconds=soon", "", "")
	if code != 400 || !strings.Contains(resp, "gracePeriodSeconds=soon") {
		t.Errorf("delete ?gracePeriodSeconds=soon = %d %s, want 400 naming the parameter", code, resp)
	}
	if files := manifestFiles(t, s.cfg.ManifestDir); len(files) != 1 {
		t.Errorf("a refused delete removed the manifest: %v", files)
	}
}

func ptrString(p *int64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
