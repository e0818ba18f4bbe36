package apiclient

import (
	"context"
	"io"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet"
)

func TestGetEventsPrintsAndWatchesThemAsKubectlDoes(t *testing.T) {
	agent, conn := startNodeAPI(t)
	threePods(t, agent)
	agent.addEvents("web", kubelet.Event{Time: agentClock.Add(-time.Minute), Type: v1.EventTypeNormal, Reason: "Started", Message: "Started container app", Container: "app"})
	agent.addEvents("db", kubelet.Event{Time: agentClock, Type: v1.EventTypeWarning, Reason: "BackOff", Message: "Back-off restarting failed container app", Container: "app"})

	out, _, err := get(t, conn, GetOptions{Resource: "events"})
	want := "LAST SEEN   TYPE      REASON    OBJECT    MESSAGE\n" +
		"60s         Normal    Started   pod/web   Started container app\n" +
		"0s          Warning   BackOff   pod/db    Back-off restarting failed container app\n"
	if err != nil || out != want {
		t.Errorf("get events = %v\n%q\nwant\n%q", err, out, want)
	}
	out, _, err = get(t, conn, GetOptions{Resource: "ev", FieldSelector: "involvedObject.name=db", Output: "name"})
	if err != nil || len(out) < len("event/db.") || out[:len("event/db.")] != "event/db." {
		t.Errorf("get ev --field-selector -o name = %q, %v", out, err)
	}

	stdout, next := lineReader(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() {
		done <- Get(ctx, conn, GetOptions{Resource: "events", Watch: true, FieldSelector: "involvedObject.name=web", Stdout: stdout, Stderr: io.Discard})
	}()
	for _, want := range []string{"LAST SEEN   TYPE     REASON    OBJECT    MESSAGE", "60s         Normal   Started   pod/web   Started container app"} {
		if got := next(); got != want {
			t.Fatalf("listed %q, want %q", got, want)
		}
	}
	agent.addEvents("db", kubelet.Event{Time: agentClock, Type: v1.EventTypeNormal, Reason: "Pulled", Message: "not web's"})
	agent.addEvents("web", kubelet.Event{Time: agentClock, Type: v1.EventTypeNormal, Reason: "Killing", Message: "Stopping container app", Container: "app"})
	if got, want := next(), "0s    Normal   Killing   pod/web   Stopping container app"; got != want {
		t.Errorf("watch printed %q, want %q", got, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("get events -w after Ctrl-C = %v", err)
	}
}
