package kubelet

import (
	"context"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// A sidecar waiting for its turn stops waiting when the sync is cancelled
// (the agent stopping, a newer sync taking over): an app container whose
// stop failed with the cancelled context never reports stopped, and the
// sidecar would otherwise sit out its whole grace period, holding the
// agent's shutdown that long.
func TestKillOrderWaitEndsWithTheContext(t *testing.T) {
	always := v1.ContainerRestartPolicyAlways
	pod := testPod(v1.RestartPolicyAlways, []string{"proxy"}, "app")
	pod.Spec.InitContainers[0].RestartPolicy = &always
	order := newKillOrder(pod, []containerKill{{ID: "c-proxy", Name: "proxy"}, {ID: "c-app", Name: "app"}})
	if order == nil {
		t.Fatal("no kill order for a pod with a sidecar and an app container")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int64, 1)
	go func() { done <- order.waitForTurn(ctx, "c-proxy", 3600) }()
	select {
	case <-done:
		t.Fatal("the sidecar did not wait for the app container")
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	select {
	case grace := <-done:
		if grace < 3590 {
			t.Errorf("grace left %d s, want nearly all of 3600", grace)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sidecar still waits after the sync was cancelled")
	}
}
