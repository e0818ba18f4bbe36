package agent

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// recordedConditions keeps the node condition the watch shows.
type recordedConditions struct{ current *v1.PodCondition }

func (r *recordedConditions) SetNodeCondition(c v1.PodCondition)     { r.current = &c }
func (r *recordedConditions) ClearNodeCondition(v1.PodConditionType) { r.current = nil }

func TestDiskUsageFull(t *testing.T) {
	cases := []struct {
		usage diskUsage
		want  bool
	}{
		{diskUsage{freeBytes: 10 << 30, freeInodes: 1000, inodes: 2000}, false},
		{diskUsage{freeBytes: 1 << 20, freeInodes: 1000, inodes: 2000}, false},
		{diskUsage{freeBytes: 1<<20 - 1, freeInodes: 1000, inodes: 2000}, true},
		{diskUsage{freeBytes: 10 << 30, freeInodes: 0, inodes: 2000}, true},
		{diskUsage{freeBytes: 10 << 30, freeInodes: 0, inodes: 0}, false}, // a file system without inode counts
	}
	for _, c := range cases {
		if got := c.usage.full(); got != c.want {
			t.Errorf("%+v full = %v, want %v", c.usage, got, c.want)
		}
	}
}

// TestDiskFullIsSaidOnceShownOnPodsAndExported: a full disk behind
// --pod-log-dir gives one warning, the DiskPressure condition naming the
// flag, the path and the consequence, and the metric; space coming back
// gives one line and clears both.
func TestDiskFullIsSaidOnceShownOnPodsAndExported(t *testing.T) {
	var logs bytes.Buffer
	usage := map[string]diskUsage{"/logs": {freeBytes: 8 << 30}, "/root": {freeBytes: 8 << 30}}
	conditions := &recordedConditions{}
	metric := map[string]bool{}
	d := newDiskSpace(Options{PodLogDir: "/logs", RootDir: "/root"}, conditions,
		func(flag string, full bool) { metric[flag] = full }, slog.New(slog.NewTextHandler(&logs, nil)))
	d.statfs = func(path string) (diskUsage, error) { return usage[path], nil }

	d.check()
	usage["/logs"] = diskUsage{freeBytes: 12 << 10}
	for range 3 {
		d.check()
	}
	if conditions.current == nil || conditions.current.Type != "DiskPressure" ||
		!strings.Contains(conditions.current.Message, "--pod-log-dir /logs is full (12Ki free): container logs are lost") {
		t.Fatalf("condition while full: %+v", conditions.current)
	}
	if !metric["pod-log-dir"] || metric["root-dir"] {
		t.Errorf("metric while full: %v", metric)
	}
	usage["/logs"] = diskUsage{freeBytes: 8 << 30}
	for range 3 {
		d.check()
	}
	if conditions.current != nil || metric["pod-log-dir"] {
		t.Errorf("after space returned: condition %+v, metric %v", conditions.current, metric)
	}
	if full, back := strings.Count(logs.String(), "is full"), strings.Count(logs.String(), "has space again"); full != 1 || back != 1 {
		t.Errorf("want one line when the disk filled and one when space returned, got %d and %d:\n%s", full, back, logs.String())
	}
}
