package kubelet

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
)

func TestNameReserved(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{status.Error(codes.FailedPrecondition, `failed to reserve sandbox name "web_default_uid-1_0": name "web_default_uid-1_0" is reserved for "3f2a"`), true},
		{fmt.Errorf("creating container kubia: %w", status.Error(codes.Unknown, `failed to reserve container name "kubia_web_default_uid-1_0": name "kubia_web_default_uid-1_0" is reserved for "9c1d"`)), true},
		{status.Error(codes.Unknown, "error reserving pod name k8s_web_default_uid-1_0 for id 3f2a: name is reserved"), true},
		{status.Error(codes.Unknown, `plugin type="bridge" failed (add): failed to find plugin "bridge" in path [/opt/cni/bin]`), false},
		{errors.New("creating pod directory: no space left on device"), false},
		{nil, false},
	}
	for _, c := range cases {
		if got := nameReserved(c.err); got != c.want {
			t.Errorf("nameReserved(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// sandboxWaiting returns the waiting reason and message of the pod's first
// container.
func sandboxWaiting(k *Kubelet) (string, string) {
	_, p := viewPhase(k, "web")
	if p == nil || len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Waiting == nil {
		return "", ""
	}
	w := p.Status.ContainerStatuses[0].State.Waiting
	return w.Reason, w.Message
}

// TestSandboxFailureShowsInStatusUntilTheSandboxIsMade: a sandbox the
// runtime cannot make (a missing CNI plugin) shows in the containers'
// status with the runtime's message, and goes once a sandbox is made.
func TestSandboxFailureShowsInStatusUntilTheSandboxIsMade(t *testing.T) {
	rt := newFakeRuntime()
	missing := status.Error(codes.Unknown, `failed to setup network for sandbox: plugin type="bridge" failed (add): failed to find plugin "bridge" in path [/opt/cni/bin]`)
	rt.runSandboxErrs = []error{missing}
	k := startKubelet(t, rt)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a"), File: "/m/web.yaml"}}})
	eventually(t, "the sandbox failure in the status", func() bool {
		reason, message := sandboxWaiting(k)
		return reason == ReasonCreatePodSandbox && strings.Contains(message, `failed to find plugin "bridge"`)
	})
	eventually(t, "the pod running once a sandbox is made", func() bool {
		phase, p := viewPhase(k, "web")
		return phase == v1.PodRunning && allContainersRunning(p.Status)
	})
}

// TestReservedSandboxNameIsWaitedForQuietly: a name still reserved by a
// request from before a restart is no failure: nothing in the status, and
// the next try comes soon instead of after a back-off.
func TestReservedSandboxNameIsWaitedForQuietly(t *testing.T) {
	rt := newFakeRuntime()
	reserved := status.Error(codes.FailedPrecondition, `failed to reserve sandbox name "web_default_uid-1_0": name "web_default_uid-1_0" is reserved for "3f2a"`)
	rt.runSandboxErrs = []error{reserved, reserved, reserved}
	k := startKubelet(t, rt)
	began := time.Now()
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a"), File: "/m/web.yaml"}}})
	for {
		if reason, _ := sandboxWaiting(k); reason == ReasonCreatePodSandbox {
			t.Fatalf("a reserved name showed as a sandbox failure in the status")
		}
		if phase, p := viewPhase(k, "web"); phase == v1.PodRunning && allContainersRunning(p.Status) {
			break
		}
		if time.Since(began) > 5*time.Second {
			t.Fatal("timed out waiting for the pod to run")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Three retries with the sandbox back-off would take 1+2+4 s.
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("three reserved answers delayed the pod by %s: backed off as for a failure", took)
	}
}

// TestFailingSandboxBacksOffDespiteRelistWakeUps: each failed try leaves
// a half-made sandbox the relist sees come and go, waking the pod; the
// tries still back off (1 s, then 2 s), instead of one per relist.
func TestFailingSandboxBacksOffDespiteRelistWakeUps(t *testing.T) {
	rt := newFakeRuntime()
	rt.failSandboxes = status.Error(codes.Unknown, `failed to setup network for sandbox: failed to find plugin "bridge" in path [/opt/cni/bin]`)
	k := startKubelet(t, rt) // relists every 20 ms
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a"), File: "/m/web.yaml"}}})
	time.Sleep(2500 * time.Millisecond)
	rt.mu.Lock()
	tries := rt.calls["RunPodSandbox"]
	rt.mu.Unlock()
	if tries > 3 {
		t.Fatalf("%d sandbox tries in 2.5 s, want at most 3 (at 0, 1 and 3 s)", tries)
	}
}
