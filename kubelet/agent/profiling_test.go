package agent

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestProfileRequestsAreBoundedInTime(t *testing.T) {
	mux := http.NewServeMux()
	for pattern, h := range profilingRoutes() {
		mux.Handle(pattern, h)
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"seconds=3600", http.StatusBadRequest},
		{"seconds=0", http.StatusBadRequest},
		{"seconds=x", http.StatusBadRequest},
		{"seconds=1", http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/profile?"+tc.query, nil))
		if rec.Code != tc.want {
			t.Errorf("profile?%s = %d, want %d", tc.query, rec.Code, tc.want)
		}
		if tc.want == http.StatusBadRequest && !strings.Contains(rec.Body.String(), "1 to 60") {
			t.Errorf("profile?%s answered %q; it should name the bound", tc.query, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/heap?seconds=999999999", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a heap delta over 999999999 s = %d, want 400", rec.Code)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/heap", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
		t.Errorf("heap profile = %d with %d bytes, want a profile", rec.Code, rec.Body.Len())
	}
}

func TestOneTimedProfileAtATime(t *testing.T) {
	mux := http.NewServeMux()
	for pattern, h := range profilingRoutes() {
		mux.Handle(pattern, h)
	}
	first := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/heap?seconds=2", nil))
		first <- rec.Code
	}()
	deadline := time.Now().Add(time.Second)
	for len(timedProfiles) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/allocs?seconds=1", nil))
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("a second timed profile while one runs = %d, want 429", rec.Code)
	}
	if code := <-first; code != http.StatusOK {
		t.Errorf("the first timed profile = %d, want 200", code)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/heap", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("an untimed heap profile = %d, want 200", rec.Code)
	}
}
