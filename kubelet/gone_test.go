package kubelet

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// TestGoneOnlyOnceNothingIsLeft: a cluster pod is deleted from the API
// server only once Gone, so Gone must be false while the pod runs or
// stops, and true once its sandbox and containers are removed.
func TestGoneOnlyOnceNothingIsLeft(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubeletWith(t, rt, func(c *Config) {
		c.Sources = []PodSource{stubSource(SourceFile), stubSource(SourceAPI)}
	})
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	if k.Gone(pod.UID) {
		t.Fatal("Gone before any source delivered or any relist: an untracked pod may be adopted yet")
	}
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	k.SetSourcePods(SourceUpdate{Source: SourceFile})
	eventually(t, "pod Running", func() bool {
		phase, _ := viewPhase(k, "web")
		return phase == v1.PodRunning
	})
	if k.Gone(pod.UID) {
		t.Fatal("Gone while the pod runs")
	}
	k.SetSourcePods(SourceUpdate{Source: SourceAPI})
	eventually(t, "pod removed and Gone", func() bool { return k.Gone(pod.UID) })
	if s, c := rt.count(""); s != 0 || c != 0 {
		t.Errorf("Gone with %d sandboxes and %d containers left", s, c)
	}
}

// stubSource is a source that never delivers by itself: the test calls
// SetSourcePods for it.
type stubSource string

func (s stubSource) Name() string { return string(s) }
func (s stubSource) Run(ctx context.Context, _ func(SourceUpdate)) error {
	<-ctx.Done()
	return nil
}

// TestDeletionGraceReachesAPodAdoptedAfterARestart: a cluster pod deleted
// while the agent was down stops, once the restarted agent adopts it, with
// the delete's grace period, not its spec's.
func TestDeletionGraceReachesAPodAdoptedAfterARestart(t *testing.T) {
	rt := newFakeRuntime()
	first, stop := runKubelet(t, rt, nil)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	pod.Spec.TerminationGracePeriodSeconds = new(int64(30))
	first.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(first, "web"); return phase == v1.PodRunning })
	stop()

	second := startKubelet(t, rt)
	second.SetDeletionGracePeriod(pod.UID, 3) // the source saw it deleted, before any relist
	second.SetSourcePods(SourceUpdate{Source: SourceFile})
	eventually(t, "removed", func() bool { s, c := rt.count(""); return s == 0 && c == 0 })
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.stopTimeouts) != 1 || rt.stopTimeouts[0] != 3 {
		t.Fatalf("StopContainer grace periods %v, want [3]", rt.stopTimeouts)
	}
	second.mu.Lock()
	defer second.mu.Unlock()
	if len(second.pendingGrace) != 0 {
		t.Errorf("pending grace left after adoption: %v", second.pendingGrace)
	}
}
