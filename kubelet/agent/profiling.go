package agent

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"strconv"
)

// maxProfileSeconds bounds a CPU profile or trace request: the handler holds
// a connection and a sampler for that long, and one at a time is enough.
const maxProfileSeconds = 60

// profilingRoutes serves Go's runtime profiles under /debug/pprof/, as the
// kubelet's enableProfilingHandler does, so the footprint at a given pod
// count can be explained on a real node. They sit behind the bearer token
// like every other route: a heap profile shows pod data.
func profilingRoutes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /debug/pprof/":        boundedSeconds(http.HandlerFunc(pprof.Index)), // heap?seconds=N is a delta profile
		"GET /debug/pprof/cmdline": http.HandlerFunc(pprof.Cmdline),
		"GET /debug/pprof/symbol":  http.HandlerFunc(pprof.Symbol),
		"GET /debug/pprof/profile": boundedSeconds(http.HandlerFunc(pprof.Profile)),
		"GET /debug/pprof/trace":   boundedSeconds(http.HandlerFunc(pprof.Trace)),
	}
}

// timedProfiles lets one timed profile run at a time: each holds a
// connection and a goroutine for up to maxProfileSeconds.
var timedProfiles = make(chan struct{}, 1)

// boundedSeconds refuses a ?seconds= (CPU profile, trace, or the delta of
// heap, allocs, goroutine, block or mutex) past maxProfileSeconds with a 400
// that names the bound, and a second timed profile while one runs with a
// 429, instead of tying up the agent.
func boundedSeconds(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := r.URL.Query().Get("seconds")
		if s == "" {
			next.ServeHTTP(w, r)
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxProfileSeconds {
			http.Error(w, fmt.Sprintf("seconds=%q: want a whole number from 1 to %d", s, maxProfileSeconds), http.StatusBadRequest)
			return
		}
		select {
		case timedProfiles <- struct{}{}:
			defer func() { <-timedProfiles }()
		default:
			http.Error(w, "another timed profile is running; try again when it ends", http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}
