package prober

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/cri"
)

// fakeRuntime answers ExecSync from a per-command switch the test flips:
// a command whose first word is failing exits 1, others exit 0.
type fakeRuntime struct {
	mu      sync.Mutex
	failing map[string]bool // cmd[0] → exits 1
	err     error           // returned instead of running, when set
	calls   []execCall
}

type execCall struct {
	containerID string
	cmd         []string
	timeout     time.Duration
	at          time.Time
}

func newFakeRuntime() *fakeRuntime { return &fakeRuntime{failing: map[string]bool{}} }

func (f *fakeRuntime) ExecSync(_ context.Context, containerID string, cmd []string, timeout time.Duration) ([]byte, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, execCall{containerID: containerID, cmd: cmd, timeout: timeout, at: time.Now()})
	if f.err != nil {
		return nil, nil, f.err
	}
	if f.failing[cmd[0]] {
		return []byte(cmd[0] + " says no\n"), nil, &cri.ExitError{ContainerID: containerID, ExitCode: 1}
	}
	return []byte(cmd[0] + " ok\n"), nil, nil
}

// fail makes the command named name exit 1 (or 0 again).
func (f *fakeRuntime) fail(name string, failing bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[name] = failing
}

// callTimes returns when the command named name ran in the container.
func (f *fakeRuntime) callTimes(containerID, name string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var at []time.Time
	for _, c := range f.calls {
		if c.containerID == containerID && c.cmd[0] == name {
			at = append(at, c.at)
		}
	}
	return at
}

// recorder collects OnChange and OnEvent calls.
type recorder struct {
	mu      sync.Mutex
	changes []types.UID
	events  []Event
}

func (r *recorder) onChange(uid types.UID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, uid)
}

func (r *recorder) onEvent(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) changeCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.changes)
}

func (r *recorder) eventMessages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var msgs []string
	for _, e := range r.events {
		msgs = append(msgs, e.Reason+" "+e.Container+": "+e.Message)
	}
	return msgs
}

// testManager returns a manager on rt with its own registry, stopped at
// the end of the test.
func testManager(t *testing.T, rt Runtime) (*Manager, *recorder, *prometheus.Registry) {
	t.Helper()
	rec := &recorder{}
	reg := prometheus.NewRegistry()
	m, err := NewManager(Config{
		Runtime: rt, Registerer: reg, Logger: slog.New(slog.DiscardHandler),
		OnChange: rec.onChange, OnEvent: rec.onEvent,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m, rec, reg
}

// execProbe is a probe running the fake command name.
func execProbe(name string, mutate ...func(*v1.Probe)) *v1.Probe {
	p := &v1.Probe{ProbeHandler: v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{name}}}}
	for _, f := range mutate {
		f(p)
	}
	return p
}

// testPod is a one-container pod named web in namespace default.
func testPod(uid types.UID, c v1.Container) *v1.Pod {
	if c.Name == "" {
		c.Name = "web"
	}
	pod := &v1.Pod{Spec: v1.PodSpec{Containers: []v1.Container{c}}}
	pod.Name, pod.Namespace, pod.UID = "pod-"+string(uid), "default", uid
	return pod
}
