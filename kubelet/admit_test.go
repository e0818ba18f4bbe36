package kubelet

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// namedPod is a one-container pod whose container is named after it.
func namedPod(name string, policy v1.RestartPolicy) DesiredPod {
	pod := testPod(policy, nil, name+"-app")
	pod.Name, pod.UID = name, types.UID("uid-"+name)
	return DesiredPod{Pod: pod, File: "/m/" + name + ".yaml"}
}

func withMaxPods(n int) func(*Config) { return func(c *Config) { c.MaxPods = n } }

// sandboxedPods names the pods the runtime has a ready sandbox of.
func sandboxedPods(rt *fakeRuntime) []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var names []string
	for _, s := range rt.sandboxes {
		if s.State == runtimeapi.PodSandboxState_SANDBOX_READY {
			names = append(names, s.Labels[translate.PodNameLabel])
		}
	}
	sort.Strings(names)
	return names
}

func runs(k *Kubelet, name string) bool {
	phase, p := viewPhase(k, name)
	return phase == v1.PodRunning && allContainersRunning(p.Status)
}

// outOfPods reports whether the pod waits for a slot with the message for
// used and capacity, and shows no container (so `get pods` says OutOfpods).
func outOfPods(k *Kubelet, name string, used, capacity int) bool {
	phase, p := viewPhase(k, name)
	return phase == v1.PodPending && p.Status.Reason == ReasonOutOfPods &&
		p.Status.Message == outOfPodsMessage(used, capacity) && len(p.Status.ContainerStatuses) == 0
}

func outOfPodsEvents(k *Kubelet, name string) int {
	view, _ := k.GetPod("default", name)
	n := 0
	for _, e := range view.Events {
		if e.Reason == ReasonOutOfPods {
			n++
		}
	}
	return n
}

func TestMaxPodsHoldsBackAPodUntilASlotFrees(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubeletWith(t, rt, withMaxPods(2))
	a, b, c := namedPod("a", v1.RestartPolicyAlways), namedPod("b", v1.RestartPolicyAlways), namedPod("c", v1.RestartPolicyAlways)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{c, b, a}})

	eventually(t, "a and b running, c OutOfpods", func() bool {
		return runs(k, "a") && runs(k, "b") && outOfPods(k, "c", 2, 2)
	})
	// c is woken as after every freed slot, and more syncs pass: it still
	// gets no sandbox, and its event is recorded once.
	k.wakeWaitingForSlot()
	time.Sleep(100 * time.Millisecond)
	k.wakeWaitingForSlot()
	time.Sleep(100 * time.Millisecond)
	if got := sandboxedPods(rt); !reflect.DeepEqual(got, []string{"a", "b"}) || rt.calls["RunPodSandbox"] != 2 {
		t.Fatalf("sandboxes of %v (%d made), want only a and b", got, rt.calls["RunPodSandbox"])
	}
	if n := outOfPodsEvents(k, "c"); n != 1 {
		t.Errorf("%d OutOfpods events for c, want 1", n)
	}
	view, _ := k.GetPod("default", "c")
	if e := view.Events[0]; e.Type != v1.EventTypeWarning || e.Message != outOfPodsMessage(2, 2) {
		t.Errorf("event %+v", e)
	}

	// Deleting a frees its slot: c starts with no other change.
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{c, b}})
	eventually(t, "c running in a's place", func() bool {
		_, aLeft := k.GetPod("default", "a")
		return runs(k, "c") && !aLeft && reflect.DeepEqual(sandboxedPods(rt), []string{"b", "c"})
	})
	if _, p := viewPhase(k, "c"); p.Status.Reason != "" || p.Status.Message != "" {
		t.Errorf("a running pod still says %q: %q", p.Status.Reason, p.Status.Message)
	}
}

// A restarted agent whose maxPods was lowered below the pods it finds
// running adopts them all and stops none; new pods wait until the node is
// under the limit again.
func TestLoweredMaxPodsStopsNothingAfterARestart(t *testing.T) {
	rt := newFakeRuntime()
	a, b, c, d := namedPod("a", v1.RestartPolicyAlways), namedPod("b", v1.RestartPolicyAlways),
		namedPod("c", v1.RestartPolicyAlways), namedPod("d", v1.RestartPolicyAlways)
	first, stop := runKubelet(t, rt, withMaxPods(3))
	first.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{a, b, c}})
	eventually(t, "three running", func() bool { return runs(first, "a") && runs(first, "b") && runs(first, "c") })
	stop()

	second := startKubeletWith(t, rt, withMaxPods(2))
	second.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{a, b, c, d}})
	eventually(t, "a, b, c adopted as running, d OutOfpods", func() bool {
		return runs(second, "a") && runs(second, "b") && runs(second, "c") && outOfPods(second, "d", 3, 2)
	})
	time.Sleep(100 * time.Millisecond)
	if rt.calls["StopContainer"] != 0 || rt.calls["RunPodSandbox"] != 3 {
		t.Fatalf("the restart stopped %d containers and made %d sandboxes, want 0 and the first 3", rt.calls["StopContainer"], rt.calls["RunPodSandbox"])
	}

	second.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{b, c, d}})
	eventually(t, "d still waits at the limit", func() bool {
		_, aLeft := second.GetPod("default", "a")
		return !aLeft && outOfPods(second, "d", 2, 2)
	})
	second.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{c, d}})
	eventually(t, "d running once under the limit", func() bool { return runs(second, "d") })
	if n := outOfPodsEvents(second, "d"); n != 1 {
		t.Errorf("%d OutOfpods events for d, want 1", n)
	}
}

// A pod that finished (restartPolicy Never) runs nothing and, as under
// the kubelet, holds no slot.
func TestFinishedPodFreesItsSlot(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubeletWith(t, rt, withMaxPods(1))
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{namedPod("a", v1.RestartPolicyNever), namedPod("b", v1.RestartPolicyAlways)}})
	eventually(t, "a running, b OutOfpods", func() bool { return runs(k, "a") && outOfPods(k, "b", 1, 1) })
	rt.exit("a-app", 0)
	eventually(t, "a Succeeded and b running", func() bool {
		phase, _ := viewPhase(k, "a")
		return phase == v1.PodSucceeded && runs(k, "b")
	})
}

// An edited manifest replaces its pod under a new UID: at the limit, the
// new version takes over the old one's slot instead of queueing behind
// pods that were waiting already.
func TestEditedPodKeepsItsSlotAtTheLimit(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubeletWith(t, rt, withMaxPods(1))
	web, waiting := namedPod("web", v1.RestartPolicyAlways), namedPod("waiting", v1.RestartPolicyAlways)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{web}})
	eventually(t, "web running", func() bool { return runs(k, "web") })
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{web, waiting}})
	eventually(t, "waiting OutOfpods", func() bool { return outOfPods(k, "waiting", 1, 1) })

	edited := namedPod("web", v1.RestartPolicyAlways)
	edited.Pod.UID = "uid-web-v2"
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{edited, waiting}})
	eventually(t, "the new web running", func() bool {
		_, p := viewPhase(k, "web")
		return runs(k, "web") && p.UID == "uid-web-v2"
	})
	if !outOfPods(k, "waiting", 1, 1) {
		_, p := viewPhase(k, "waiting")
		t.Errorf("the waiting pod took the edited pod's slot: %+v", p.Status)
	}
	if n := outOfPodsEvents(k, "web"); n != 0 {
		t.Errorf("the edited pod waited for a slot (%d OutOfpods events)", n)
	}
}

func TestNewRefusesNegativeMaxPods(t *testing.T) {
	rt := newFakeRuntime()
	if _, err := New(Config{Runtime: rt, Images: rt, NodeName: "n", MaxPods: -1}); err == nil || !strings.Contains(err.Error(), "maxPods -1") {
		t.Fatalf("err = %v", err)
	}
	k, err := New(Config{Runtime: rt, Images: rt, NodeName: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if k.cfg.MaxPods != DefaultMaxPods {
		t.Fatalf("unset maxPods became %d, want the kubelet's %d", k.cfg.MaxPods, DefaultMaxPods)
	}
}

// A cluster pod beyond maxPods is rejected for good, Failed with reason
// OutOfpods, as the kubelet's admit handler rejects it; it gets no
// sandbox, even once a slot frees.
func TestMaxPodsRejectsAClusterPod(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubeletWith(t, rt, withMaxPods(1))
	a, b := namedPod("a", v1.RestartPolicyAlways), namedPod("b", v1.RestartPolicyAlways)
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{a, b}})
	eventually(t, "one pod running, the other Failed OutOfpods", func() bool {
		runA, runB := runs(k, "a"), runs(k, "b")
		if runA == runB {
			return false
		}
		rejected := "b"
		if runB {
			rejected = "a"
		}
		phase, p := viewPhase(k, rejected)
		return phase == v1.PodFailed && p.Status.Reason == ReasonOutOfPods && p.Status.Message == "Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1"
	})
	running := "a"
	if runs(k, "b") {
		running = "b"
	}
	left := b
	if running == "b" {
		left = a
	}
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{left}})
	time.Sleep(300 * time.Millisecond)
	if got := sandboxedPods(rt); len(got) != 0 {
		t.Errorf("sandboxes of %v after the running pod left: a rejected pod must not start", got)
	}
	if phase, _ := viewPhase(k, left.Pod.Name); phase != v1.PodFailed {
		t.Errorf("rejected pod is %s, want Failed", phase)
	}
}
