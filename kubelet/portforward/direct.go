package portforward

import (
	"fmt"
	"sync"
	"time"
)

// DirectMode says when TCP connections may bypass the runtime's tunnel and
// go straight to podIP:port, which pod networks make routable on the node.
type DirectMode string

const (
	// DirectAuto tries the pod IP first and falls back to the tunnel when
	// the port does not answer there, e.g. because the app listens on the
	// pod's localhost only. It remembers the outcome per port for a while.
	DirectAuto DirectMode = "auto"
	// DirectAlways only uses the pod IP; ports bound to the pod's localhost
	// cannot be reached.
	DirectAlways DirectMode = "always"
	// DirectNever always uses the runtime's tunnel, as kubectl does; UDP
	// cannot be forwarded then.
	DirectNever DirectMode = "never"
)

// ParseDirectMode checks a --direct value; "" means DirectAuto.
func ParseDirectMode(text string) (DirectMode, error) {
	switch mode := DirectMode(text); mode {
	case "":
		return DirectAuto, nil
	case DirectAuto, DirectAlways, DirectNever:
		return mode, nil
	}
	return "", fmt.Errorf("--direct %q: use auto (pod IP, falling back to the runtime tunnel), always (pod IP only) or never (runtime tunnel only)", text)
}

// tunnelVerdictTTL is how long auto mode keeps sending a port through the
// tunnel after the pod IP refused it, before trying the pod IP again (the
// app may have started listening on every interface meanwhile).
const tunnelVerdictTTL = 30 * time.Second

// routeChoice remembers, per remote port, which path works in auto mode,
// so only the first connection after a change pays for a failed dial.
type routeChoice struct {
	mode DirectMode
	now  func() time.Time

	mu           sync.Mutex
	tunnelUntil  map[int32]time.Time
	directWorked map[int32]bool
}

func newRouteChoice(mode DirectMode, now func() time.Time) *routeChoice {
	return &routeChoice{mode: mode, now: now, tunnelUntil: map[int32]time.Time{}, directWorked: map[int32]bool{}}
}

// tryDirect says whether the next connection to port should dial the pod IP.
func (r *routeChoice) tryDirect(port int32) bool {
	switch r.mode {
	case DirectNever:
		return false
	case DirectAlways:
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.now().Before(r.tunnelUntil[port])
}

// directFailed records that the pod IP refused port and reports whether
// this changes the path, so the switch is logged once, not per connection.
func (r *routeChoice) directFailed(port int32) (changed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed = r.directWorked[port] || r.tunnelUntil[port].IsZero()
	r.directWorked[port] = false
	r.tunnelUntil[port] = r.now().Add(tunnelVerdictTTL)
	return changed
}

// directSucceeded records that the pod IP answered on port and reports
// whether this changes the path.
func (r *routeChoice) directSucceeded(port int32) (changed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed = !r.directWorked[port]
	r.directWorked[port] = true
	delete(r.tunnelUntil, port)
	return changed
}
