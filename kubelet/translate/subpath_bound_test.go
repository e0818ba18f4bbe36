package translate

import (
	"runtime"
	"strings"
	"testing"
)

// A subPathExpr that refers many times to a large variable is refused
// while it expands, not after the agent built a string of gigabytes.
func TestSubPathExprExpansionIsBounded(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	expr := strings.Repeat("$(BIG)", 1000) // 1000 MiB once expanded
	env := func(name string) (string, bool) { return big, name == "BIG" }
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := expandSubPathExpr(expr, env)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than the 4096 bytes") {
		t.Errorf("err = %v, want the path bound named", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("expanding allocated %d KiB, want a few", grew>>10)
	}
}
