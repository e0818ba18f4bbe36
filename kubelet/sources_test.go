package kubelet

import (
	"context"
	"log/slog"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// chanSource is a pod source a test feeds by hand.
type chanSource struct {
	name    string
	updates chan SourceUpdate
}

func (s chanSource) Name() string { return s.name }

func (s chanSource) Run(ctx context.Context, deliver func(SourceUpdate)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case u := <-s.updates:
			u.Source = s.name
			deliver(u)
		}
	}
}

func TestSourceSetsMergeByUIDAndWaitForEverySource(t *testing.T) {
	a, b := testPod(v1.RestartPolicyAlways, nil, "a"), testPod(v1.RestartPolicyAlways, nil, "b")
	b.UID, b.Name = "uid-b", "other"
	sets := newSourceSets([]string{SourceAPI, SourceFile})
	sets.set(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: a, File: "/m/a.yaml"}}})
	if sets.complete() {
		t.Error("complete before the api source delivered")
	}
	sets.set(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: b}, {Pod: a}}})
	if !sets.complete() {
		t.Error("not complete after both delivered")
	}
	pods, _ := sets.merged()
	sources := map[string]string{}
	for _, p := range pods {
		sources[string(p.Pod.UID)] = p.Source
	}
	if len(pods) != 2 || sources[string(a.UID)] != SourceAPI || sources["uid-b"] != SourceAPI {
		t.Errorf("merged sources by UID = %v; want a and b once each, a from the first source by name (api)", sources)
	}
	sets.set(SourceUpdate{Source: SourceAPI})
	pods, _ = sets.merged()
	if len(pods) != 1 || pods[0].Source != SourceFile || pods[0].File != "/m/a.yaml" {
		t.Errorf("after the api source dropped both: %+v", pods)
	}
}

// A pod in the runtime that the first source does not name may belong to
// a source not read yet: it is adopted only once every source delivered.
func TestSyncLoopRemovesOrphansOnlyAfterEverySourceDelivered(t *testing.T) {
	rt := newFakeRuntime()
	first := startKubelet(t, rt)
	first.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a")}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(first, "web"); return phase == v1.PodRunning })

	file, api := chanSource{SourceFile, make(chan SourceUpdate)}, chanSource{SourceAPI, make(chan SourceUpdate)}
	dir := t.TempDir()
	second, err := New(Config{Runtime: rt, Images: rt, RuntimeName: "fake", RootDir: dir + "/root", PodLogDir: dir + "/logs",
		ResolvConf: dir + "/none", RelistPeriod: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		Sources: []PodSource{file, api}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- second.Run(ctx) }()
	defer func() { cancel(); <-done }()

	file.updates <- SourceUpdate{} // the file source has nothing
	time.Sleep(150 * time.Millisecond)
	if s, _ := rt.count(""); s != 1 {
		t.Fatal("the api source's pod was removed before that source delivered")
	}
	api.updates <- SourceUpdate{} // nor does the api source: now it is an orphan
	eventually(t, "orphan removed", func() bool { s, c := rt.count(""); return s == 0 && c == 0 })
}
