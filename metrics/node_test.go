package metrics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTree creates files (path relative to root → content) under a temp
// root and returns it.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var readAt = time.Unix(1700000000, 0)

func readNode(t *testing.T, root string) (nodeSample, error) {
	t.Helper()
	return nodeReader{root: root, now: func() time.Time { return readAt }}.read()
}

const procStat = "cpu  1000 50 250 90000 700 30 20 10 0 0\ncpu0 500 25 125 45000 350 15 10 5 0 0\n"

func TestNodeStatsFromCgroupV1(t *testing.T) {
	root := writeTree(t, map[string]string{
		"sys/fs/cgroup/cpuacct/cpuacct.usage":        "2500000000\n",
		"sys/fs/cgroup/memory/memory.usage_in_bytes": "1000000\n",
		"sys/fs/cgroup/memory/memory.stat":           "cache 5\ninactive_file 1\ntotal_inactive_file 300000\n",
		"proc/stat":                                  procStat,
	})
	n, err := readNode(t, root)
	if err != nil {
		t.Fatal(err)
	}
	if n.cpu.value != 2.5 || n.workingSet.value != 700000 {
		t.Errorf("cgroup v1 node = cpu %v s, working set %v B; want 2.5 s (cpuacct) and 700000 B (usage - total_inactive_file)", n.cpu.value, n.workingSet.value)
	}
	if !n.cpu.at.Equal(readAt) {
		t.Errorf("node CPU stamped %v, want the read time", n.cpu.at)
	}
}

func TestNodeStatsFromCgroupV2AndProc(t *testing.T) {
	root := writeTree(t, map[string]string{
		"sys/fs/cgroup/cpu.stat": "usage_usec 4000000\nuser_usec 3000000\n",
		"proc/meminfo":           "MemTotal:       8000 kB\nMemFree:        3000 kB\nInactive(file):  1000 kB\n",
	})
	n, err := readNode(t, root)
	if err != nil {
		t.Fatal(err)
	}
	if n.cpu.value != 4 || n.workingSet.value != 4000*1024 {
		t.Errorf("cgroup v2 node = cpu %v s, working set %v B; want 4 s and %d B", n.cpu.value, n.workingSet.value, 4000*1024)
	}
}

func TestNodeCPUFromProcStatWithoutCgroups(t *testing.T) {
	root := writeTree(t, map[string]string{
		"proc/stat":    procStat,
		"proc/meminfo": "MemTotal: 100 kB\nMemFree: 40 kB\n",
	})
	n, err := readNode(t, root)
	if err != nil {
		t.Fatal(err)
	}
	// user+nice+system+irq+softirq+steal = 1000+50+250+30+20+10 ticks
	if n.cpu.value != 13.6 {
		t.Errorf("node CPU from /proc/stat = %v s, want 13.6", n.cpu.value)
	}
}

func TestNodeReadErrorsNameTheFile(t *testing.T) {
	root := writeTree(t, map[string]string{
		"proc/stat":    "intr 1 2 3\n",
		"proc/meminfo": "MemFree: 1 kB\n",
	})
	n, err := readNode(t, root)
	if err == nil {
		t.Fatal("broken /proc read without error")
	}
	for _, want := range []string{filepath.Join(root, "proc/stat"), "MemTotal"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if n.cpu.ok || n.workingSet.ok {
		t.Errorf("broken reads gave figures %+v", n)
	}
}

func TestNodeStatsOnThisMachine(t *testing.T) {
	n, err := nodeReader{root: "/", now: time.Now}.read()
	if err != nil {
		t.Skipf("this machine's /proc or cgroups are not readable: %v", err)
	}
	if n.cpu.value <= 0 || n.workingSet.value <= 0 {
		t.Errorf("node figures on a running machine = %+v, want both > 0", n)
	}
}
