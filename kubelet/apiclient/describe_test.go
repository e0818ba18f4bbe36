package apiclient

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/minikubelet/minikubelet/kubelet"
)

func describe(t *testing.T, conn Connection, name string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Describe(context.Background(), conn, DescribeOptions{
		Resource: "pod", Name: name, Stdout: &out, Now: func() time.Time { return agentClock },
	})
	return out.String(), err
}

func TestDescribeShowsEverySection(t *testing.T) {
	agent, conn := startNodeAPI(t)
	manifest := agent.writeManifest(t, "web.yaml", podManifest("web", "default"))
	status := running("10.88.0.5", 2)
	status.StartTime = &metav1.Time{Time: agentClock.Add(-90 * time.Minute)}
	status.ContainerStatuses[0].State.Running.StartedAt = metav1.Time{Time: agentClock.Add(-time.Hour)}
	status.ContainerStatuses[0].LastTerminationState.Terminated = &v1.ContainerStateTerminated{
		ExitCode: 1, Reason: "Error",
		StartedAt:  metav1.Time{Time: agentClock.Add(-80 * time.Minute)},
		FinishedAt: metav1.Time{Time: agentClock.Add(-61 * time.Minute)},
	}
	status.Conditions = []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue}}
	status.QOSClass = v1.PodQOSBestEffort
	agent.setStatus("web", status)
	// Out of order, as the agent may record them: describe sorts by time.
	agent.addEvents("web",
		kubelet.Event{Time: agentClock.Add(-5 * time.Minute), Type: v1.EventTypeNormal, Reason: "Started", Message: "Started container app", Container: "app"},
		kubelet.Event{Time: agentClock.Add(-10 * time.Minute), Type: v1.EventTypeNormal, Reason: "Pulled", Message: "Pulled example.com/web:1", Container: "app"},
	)
	got, err := describe(t, conn, "web")
	if err != nil {
		t.Fatal(err)
	}
	want := `Name:        web
Namespace:   default
Node:        node-1
Start Time:  Wed, 01 May 2024 10:30:00 +0000
Labels:      app=web
Manifest:    ` + manifest + `
Status:      Running
IP:          10.88.0.5
Containers:
  app:
    Image:          example.com/web:1
    Port:           8080/TCP
    Container ID:   containerd://abc123
    State:          Running
      Started:      Wed, 01 May 2024 11:00:00 +0000
    Last State:     Terminated
      Reason:       Error
      Exit Code:    1
      Started:      Wed, 01 May 2024 10:40:00 +0000
      Finished:     Wed, 01 May 2024 10:59:00 +0000
    Ready:          true
    Restart Count:  2
Conditions:
  Type                          Status
  Ready                         True
  minikubelet.io/ManifestValid  True
QoS Class:                      BestEffort
Events:
  Type    Reason   Age   From         Message
  ----    ------   ----  ----         -------
  Normal  Pulled   10m   minikubelet  Pulled example.com/web:1
  Normal  Started  5m    minikubelet  Started container app
`
	if got != want {
		t.Errorf("describe pod web:\n%s\nwant:\n%s", got, want)
	}
}

func TestDescribeListsAnInvalidManifestsErrors(t *testing.T) {
	agent, conn := startNodeAPI(t)
	agent.writeManifest(t, "db.yaml", podManifest("db", "default"))
	agent.breakManifest("db", `db.yaml: spec.containers[0]: unknown field "images" (did you mean "image"?)`)
	got, err := describe(t, conn, "db")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Manifest Errors:\n  the manifest is invalid; the pod keeps running its last valid spec until it is fixed or deleted:\n" +
			`  db.yaml: spec.containers[0]: unknown field "images" (did you mean "image"?)` + "\n",
		"  minikubelet.io/ManifestValid  False\n",
		"\nEvents:                         <none>\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("describe of a broken manifest lacks %q:\n%s", want, got)
		}
	}
}

func TestDescribeSurfacesTheServersStatus(t *testing.T) {
	_, conn := startNodeAPI(t)
	if _, err := describe(t, conn, "nope"); err == nil || err.Error() != `pods "nope" not found` {
		t.Errorf("describe of a missing pod = %v", err)
	}
}

func TestDescribeShowsOnlyTheNewestEvents(t *testing.T) {
	var events []v1.Event
	for i := range maxDescribedEvents + 5 {
		events = append(events, v1.Event{Reason: "E" + string(rune('a'+i)), LastTimestamp: metav1.Time{Time: agentClock}})
	}
	var out bytes.Buffer
	describePod(&out, &v1.Pod{}, events, agentClock)
	if strings.Contains(out.String(), " Ee ") || !strings.Contains(out.String(), " Ef ") || !strings.Contains(out.String(), " Ey ") {
		t.Errorf("want the newest %d events (Ef..Ey):\n%s", maxDescribedEvents, out.String())
	}
}
