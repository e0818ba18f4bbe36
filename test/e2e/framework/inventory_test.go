package framework

import (
	"strings"
	"testing"
)

func TestInventoryProblems(t *testing.T) {
	clean := func() *Inventory {
		return &Inventory{
			Sandboxes: []InventorySandbox{{ID: "sb1", PodUID: "u1", PodName: "web", Ready: true}},
			Containers: []InventoryContainer{
				{ID: "c1", SandboxID: "sb1", PodUID: "u1", Name: "app", Running: true},
				{ID: "c0", SandboxID: "sb1", PodUID: "u1", Name: "app"}, // the one dead instance kept
			},
			PodDirs: map[string]bool{"u1": true}, LogDirs: map[string]bool{"u1": true}, Cgroups: map[string]bool{"u1": true},
			Mounts:           []string{"/root/pods/u1/volumes/kubernetes.io~empty-dir/cache"},
			Allocations:      map[string]string{"10.88.0.2": "sb1", "10.88.0.3": "other-agents"},
			RuntimeSandboxes: map[string]bool{"sb1": true, "other-agents": true},
			NetnsFiles:       map[string]bool{"/run/netns/cni-1": true},
			NetnsInUse:       map[string]bool{"/run/netns/cni-1": true},
		}
	}
	want := map[string][]string{"u1": {"app"}}
	tests := []struct {
		name   string
		break_ func(*Inventory)
		want   []string
	}{
		{"clean", func(*Inventory) {}, nil},
		{"stray sandbox", func(inv *Inventory) {
			inv.Sandboxes = append(inv.Sandboxes, InventorySandbox{ID: "sb2", PodUID: "u2", PodName: "gone"})
		}, []string{"sandbox sb2 of pod gone (u2) is not wanted"}},
		{"old sandbox kept", func(inv *Inventory) {
			inv.Sandboxes = append(inv.Sandboxes, InventorySandbox{ID: "sb0", PodUID: "u1", PodName: "web"})
		}, []string{"pod web keeps a not-ready sandbox sb0"}},
		{"container not running", func(inv *Inventory) { inv.Containers[0].Running = false }, []string{
			"pod u1 container app has 0 running instances, want 1", "pod u1 container app keeps 2 exited instances, want at most 1"}},
		{"leaks", func(inv *Inventory) {
			inv.PodDirs["u9"], inv.LogDirs["u9"], inv.Cgroups["u9"] = true, true, true
			inv.Mounts = append(inv.Mounts, "/root/pods/u9/volume-subpaths/x/c/0")
			inv.Allocations["10.88.0.9"] = "sb9"
			inv.NetnsFiles["/run/netns/cni-9"] = true
		}, []string{
			"address 10.88.0.9 is held for sandbox sb9, which the runtime does not have",
			"log directory of u9 is left", "mount /root/pods/u9/volume-subpaths/x/c/0 is left",
			"network namespace /run/netns/cni-9 is used by no sandbox", "pod cgroup of u9 is left", "pod directory of u9 is left",
		}},
		{"no sandbox", func(inv *Inventory) { inv.Sandboxes = nil; inv.Containers = nil }, []string{
			"pod u1 container app has 0 running instances, want 1", "pod u1 has 0 ready sandboxes, want 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := clean()
			tt.break_(inv)
			got := inv.Problems(want)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Problems =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
