package agent

import (
	"os"
	"runtime/debug"
)

// agentGCPercent is the agent's default GOGC. The agent's live heap is
// small (about 7 MiB with 110 pods) and it allocates little at rest, so
// letting the heap grow to twice the live size (Go's default of 100) only
// costs resident memory: at 50 a node with 110 idle pods holds about 5 MiB
// less anonymous memory, for a collection every few seconds instead of
// every few more. An operator's GOGC (or GOMEMLIMIT) still wins.
const agentGCPercent = 50

// setGCPercent applies agentGCPercent unless GOGC is set, and returns the
// value in effect.
func setGCPercent() int {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "" {
		current := debug.SetGCPercent(-1)
		debug.SetGCPercent(current)
		return current
	}
	debug.SetGCPercent(agentGCPercent)
	return agentGCPercent
}
