package kubelet

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

func TestPickStrayPodCgroups(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	old := now.Add(-strayCgroupGrace - time.Second)
	for _, tc := range []struct {
		name      string
		state     podCgroupState
		tracked   bool
		inRuntime bool
		want      bool
	}{
		{"old, empty, unknown to agent and runtime", podCgroupState{newest: old}, false, false, true},
		{"exactly the grace old", podCgroupState{newest: now.Add(-strayCgroupGrace)}, false, false, true},
		{"younger than the grace: a create may be under way", podCgroupState{newest: now.Add(-time.Second)}, false, false, false},
		{"a process in it", podCgroupState{newest: old, busy: true}, false, false, false},
		{"the agent tracks the pod", podCgroupState{newest: old}, true, false, false},
		{"the runtime has the pod", podCgroupState{newest: old}, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found := map[types.UID]podCgroupState{"u": tc.state}
			got := pickStrayPodCgroups(found,
				func(types.UID) bool { return tc.tracked },
				func(types.UID) bool { return tc.inRuntime }, now, strayCgroupGrace)
			if (len(got) == 1) != tc.want {
				t.Errorf("stray = %v, want removed=%v", got, tc.want)
			}
		})
	}
}

// fakeCgroupTree builds cgroup v1 style hierarchies in a temp dir. A cgroup
// is a directory; one with processes has a cgroup.procs that lists them.
type fakeCgroupTree struct {
	t    *testing.T
	root string
}

func (f fakeCgroupTree) mkdir(hierarchy, path string, mtime time.Time) string {
	f.t.Helper()
	dir := filepath.Join(f.root, hierarchy, path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	for d := dir; d != filepath.Join(f.root, hierarchy); d = filepath.Dir(d) {
		if err := os.Chtimes(d, mtime, mtime); err != nil {
			f.t.Fatal(err)
		}
	}
	return dir
}

func (f fakeCgroupTree) exists(hierarchy, path string) bool {
	_, err := os.Stat(filepath.Join(f.root, hierarchy, path))
	return err == nil
}

// TestStrayPodCgroupsAreRemovedOnceManifestsAreRead: with the agent's pod
// directories gone, pod cgroups under the parent that nobody knows, hold no
// process and are old go, in every hierarchy, nested container cgroups
// first; the others stay.
func TestStrayPodCgroupsAreRemovedOnceManifestsAreRead(t *testing.T) {
	tree := fakeCgroupTree{t: t, root: t.TempDir()}
	long := time.Now().Add(-time.Hour)
	const parent = "/minikubelet"
	for _, h := range []string{"cpu", "memory"} {
		tree.mkdir(h, parent+"/podstray/ctr1", long)
		tree.mkdir(h, parent+"/podbusy/ctr1", long)
		tree.mkdir(h, parent+"/podyoung", time.Now())
		tree.mkdir(h, parent+"/podother-runtime-pod", long)
		tree.mkdir(h, parent+"/poduid-1", long)
	}
	procs := filepath.Join(tree.root, "memory", parent, "podbusy", "ctr1", "cgroup.procs")
	if err := os.WriteFile(procs, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rt := newFakeRuntime()
	// Another node's sandbox on the same runtime: not ours, but it exists.
	if _, err := rt.RunPodSandbox(context.Background(), &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "x", Namespace: "default", Uid: "other-runtime-pod"},
		Labels:   map[string]string{translate.NodeLabel: "another-node"},
	}, ""); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	k, err := New(Config{Runtime: rt, Images: rt, RootDir: dir + "/root", PodLogDir: dir + "/logs",
		ResolvConf: dir + "/none", RelistPeriod: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		CgroupRoot: tree.root, CgroupParent: parent})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	time.Sleep(100 * time.Millisecond)
	if !tree.exists("cpu", parent+"/podstray") {
		t.Fatal("a pod cgroup was removed before the manifests were read")
	}
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a"), File: "/m/web.yaml"}}})
	eventually(t, "the stray pod cgroup removed from every hierarchy", func() bool {
		return !tree.exists("cpu", parent+"/podstray") && !tree.exists("memory", parent+"/podstray")
	})
	var kept []string
	for _, h := range []string{"cpu", "memory"} {
		for _, pod := range []string{"podbusy/ctr1", "podyoung", "podother-runtime-pod", "poduid-1"} {
			if tree.exists(h, parent+"/"+pod) {
				kept = append(kept, h+"/"+pod)
			}
		}
	}
	want := []string{"cpu/podbusy/ctr1", "cpu/podother-runtime-pod", "cpu/poduid-1", "cpu/podyoung",
		"memory/podbusy/ctr1", "memory/podother-runtime-pod", "memory/poduid-1", "memory/podyoung"}
	slices.Sort(kept)
	slices.Sort(want)
	if !slices.Equal(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
}

// TestPodCgroupScanMergesHierarchies: a process in one hierarchy makes the
// pod busy in all; the newest mtime of any directory counts; a pod the agent
// or the runtime knows is not inspected at all.
func TestPodCgroupScanMergesHierarchies(t *testing.T) {
	tree := fakeCgroupTree{t: t, root: t.TempDir()}
	long := time.Now().Add(-time.Hour)
	recent := time.Now().Add(-time.Minute).Truncate(time.Second)
	tree.mkdir("cpu", "/p/podA", long)
	tree.mkdir("memory", "/p/podA/ctr", long)
	tree.mkdir("pids", "/p/podA/ctr", recent)
	tree.mkdir("cpu", "/p/podB/ctr", long)
	if err := os.WriteFile(filepath.Join(tree.root, "cpu/p/podB/ctr/cgroup.procs"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tree.mkdir("memory", "/p/podB", long)
	tree.mkdir("memory", "/p/not-a-pod", long)

	tree.mkdir("cpu", "/p/podKnown/ctr", long)
	tree.mkdir("memory", "/p/podKnown", long)

	found := scanPodCgroups(tree.root, "/p", func(uid types.UID) bool { return uid == "Known" })
	if len(found) != 2 {
		t.Fatalf("found %v, want podA and podB only", found)
	}
	if a := found["A"]; a.busy || !a.newest.Equal(recent) {
		t.Errorf("podA = %+v, want idle with newest %s", a, recent)
	}
	if !found["B"].busy {
		t.Errorf("podB = %+v, want busy", found["B"])
	}
}
