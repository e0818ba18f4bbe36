package cni

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPluginRemovedAfterStartIsReportedOnceAndItsReturnToo: a plugin gone
// from the bin directory after Setup makes PluginsReady name it, with the
// fix, at once; the periodic check logs it once, and once when it is back.
func TestPluginRemovedAfterStartIsReportedOnceAndItsReturnToo(t *testing.T) {
	f := newManagerFixture(t, time.Hour)
	if err := f.manager.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := f.manager.PluginsReady(); err != nil {
		t.Fatalf("PluginsReady with every plugin installed: %v", err)
	}
	f.exec.mu.Lock()
	f.exec.installed = slices.DeleteFunc(f.exec.installed, func(p string) bool { return p == "bridge" })
	f.exec.mu.Unlock()

	var missing *PluginNotFoundError
	if err := f.manager.PluginsReady(); !errors.As(err, &missing) || missing.Plugin != "bridge" ||
		!strings.Contains(err.Error(), "install containernetworking-plugins or set --cni-bin-dir") {
		t.Fatalf("PluginsReady without bridge: %v, want a PluginNotFoundError naming bridge and the fix", err)
	}
	for range 3 {
		f.manager.check(context.Background())
	}
	f.exec.mu.Lock()
	f.exec.installed = append(f.exec.installed, "bridge")
	f.exec.mu.Unlock()
	if err := f.manager.PluginsReady(); err != nil {
		t.Fatalf("PluginsReady once bridge is back: %v", err)
	}
	for range 3 {
		f.manager.check(context.Background())
	}
	if gone, back := f.logs.Count("a CNI plugin of the pod network is missing"), f.logs.Count("plugins of the pod network are back"); gone != 1 || back != 1 {
		t.Fatalf("want one line when the plugin went and one when it came back, got %d and %d:\n%s", gone, back, f.logs)
	}
}
