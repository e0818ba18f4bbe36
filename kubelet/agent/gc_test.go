package agent

import (
	"runtime/debug"
	"testing"
)

func TestAgentCollectsAtHalfTheHeapUnlessGOGCIsSet(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "")
	if got := setGCPercent(); got != agentGCPercent || debug.SetGCPercent(100) != agentGCPercent {
		t.Errorf("without GOGC the agent runs at %d, want %d", got, agentGCPercent)
	}
	t.Setenv("GOGC", "200")
	debug.SetGCPercent(200) // what the runtime read from GOGC at start
	if got := setGCPercent(); got != 200 || debug.SetGCPercent(200) != 200 {
		t.Errorf("with GOGC=200 the agent runs at %d, want the operator's 200", got)
	}
}
