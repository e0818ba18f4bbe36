package apiserver

import (
	"strconv"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// podColumns are kubectl's pod columns; priority 1 ones show with -o wide.
var podColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "Name of the pod, unique within its namespace."},
	{Name: "Ready", Type: "string", Description: "Ready containers out of all app containers."},
	{Name: "Status", Type: "string", Description: "The pod's phase, or why it is not running."},
	{Name: "Restarts", Type: "string", Description: "Container restarts, and how long ago the last one was."},
	{Name: "Age", Type: "string", Description: "Time since the agent first saw the pod."},
	{Name: "IP", Type: "string", Priority: 1, Description: "The pod's IP address."},
	{Name: "Node", Type: "string", Priority: 1, Description: "The node running the pod: this one."},
	{Name: "Nominated Node", Type: "string", Priority: 1, Description: "Always <none>: static pods are not scheduled."},
	{Name: "Readiness Gates", Type: "string", Priority: 1, Description: "Readiness gates that are met, out of all."},
}

// eventColumns follow `kubectl get events`.
var eventColumns = []metav1.TableColumnDefinition{
	{Name: "Last Seen", Type: "string", Description: "Time since the event happened."},
	{Name: "Type", Type: "string", Description: "Normal or Warning."},
	{Name: "Reason", Type: "string", Description: "Why the event happened, in one word."},
	{Name: "Object", Type: "string", Description: "The object the event is about."},
	{Name: "Message", Type: "string", Description: "What happened."},
	{Name: "Source", Type: "string", Priority: 1, Description: "The component and node that reported it."},
	{Name: "Name", Type: "string", Format: "name", Priority: 1, Description: "The event's name."},
}

const none = "<none>"

// podRow is one pod's table row.
func podRow(pod *v1.Pod, now time.Time, object runtime.RawExtension) metav1.TableRow {
	ready, total := 0, len(pod.Spec.Containers)
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
	}
	// Sidecars count among the pod's containers, as kubectl counts them.
	for _, c := range pod.Spec.InitContainers {
		if !isSidecar(pod, c.Name) {
			continue
		}
		total++
		if cs := initStatus(pod, c.Name); cs != nil && cs.Started != nil && *cs.Started && cs.Ready {
			ready++
		}
	}
	gates := none
	if n := len(pod.Spec.ReadinessGates); n > 0 {
		gates = strconv.Itoa(readinessGatesMet(pod)) + "/" + strconv.Itoa(n)
	}
	return metav1.TableRow{
		Cells: []any{
			pod.Name,
			strconv.Itoa(ready) + "/" + strconv.Itoa(total),
			podStatusText(pod),
			restartsText(pod, now),
			age(pod.CreationTimestamp, now),
			orNone(pod.Status.PodIP),
			orNone(pod.Spec.NodeName),
			orNone(pod.Status.NominatedNodeName),
			gates,
		},
		Object: object,
	}
}

// podStatusText is the STATUS column: the most telling reason the pod is
// where it is, as kubectl shows it.
func podStatusText(pod *v1.Pod) string {
	if pod.DeletionTimestamp != nil {
		return "Terminating"
	}
	reason := string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		reason = pod.Status.Reason
	}
	if initReason, initializing := initStatusText(pod); initializing {
		return initReason
	}
	running := false
	for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
		cs := pod.Status.ContainerStatuses[i]
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
			reason = cs.State.Waiting.Reason
		case cs.State.Terminated != nil:
			reason = terminatedText(cs.State.Terminated, "")
		case cs.State.Running != nil && cs.Ready:
			running = true
		}
	}
	if reason == "Completed" && running {
		reason = "NotReady"
		if podConditionTrue(pod, v1.PodReady) {
			reason = string(v1.PodRunning)
		}
	}
	return reason
}

// initStatusText says which init container the pod waits for, if any.
func initStatusText(pod *v1.Pod) (string, bool) {
	total := len(pod.Spec.InitContainers)
	for i, cs := range pod.Status.InitContainerStatuses {
		switch {
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0:
			continue
		case isSidecar(pod, cs.Name) && cs.Started != nil && *cs.Started:
			continue
		case cs.State.Terminated != nil:
			return terminatedText(cs.State.Terminated, "Init:"), true
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "" && cs.State.Waiting.Reason != "PodInitializing":
			return "Init:" + cs.State.Waiting.Reason, true
		default:
			return "Init:" + strconv.Itoa(i) + "/" + strconv.Itoa(total), true
		}
	}
	return "", false
}

func terminatedText(t *v1.ContainerStateTerminated, prefix string) string {
	switch {
	case t.Reason != "":
		return prefix + t.Reason
	case t.Signal != 0:
		return prefix + "Signal:" + strconv.Itoa(int(t.Signal))
	default:
		return prefix + "ExitCode:" + strconv.Itoa(int(t.ExitCode))
	}
}

func isSidecar(pod *v1.Pod, name string) bool {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways
		}
	}
	return false
}

func initStatus(pod *v1.Pod, name string) *v1.ContainerStatus {
	for i := range pod.Status.InitContainerStatuses {
		if pod.Status.InitContainerStatuses[i].Name == name {
			return &pod.Status.InitContainerStatuses[i]
		}
	}
	return nil
}

// restartsText is the RESTARTS column: "3 (2m ago)" once a container
// restarted, "0" before. Once the pod is initialized, as in kubectl, the
// regular init containers' restarts no longer count, the sidecars' do.
func restartsText(pod *v1.Pod, now time.Time) string {
	restarts := 0
	var last time.Time
	_, initializing := initStatusText(pod)
	initialized := !initializing || podConditionTrue(pod, v1.PodInitialized)
	var statuses []v1.ContainerStatus
	for _, cs := range pod.Status.InitContainerStatuses {
		if !initialized || isSidecar(pod, cs.Name) {
			statuses = append(statuses, cs)
		}
	}
	statuses = append(statuses, pod.Status.ContainerStatuses...)
	for _, cs := range statuses {
		restarts += int(cs.RestartCount)
		if t := cs.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(last) {
			last = t.FinishedAt.Time
		}
	}
	if restarts == 0 || last.IsZero() {
		return strconv.Itoa(restarts)
	}
	return strconv.Itoa(restarts) + " (" + duration.HumanDuration(now.Sub(last)) + " ago)"
}

func readinessGatesMet(pod *v1.Pod) int {
	met := 0
	for _, gate := range pod.Spec.ReadinessGates {
		if podConditionTrue(pod, gate.ConditionType) {
			met++
		}
	}
	return met
}

func podConditionTrue(pod *v1.Pod, kind v1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == kind {
			return c.Status == v1.ConditionTrue
		}
	}
	return false
}

// eventRow is one event's table row.
func eventRow(ev *v1.Event, now time.Time, object runtime.RawExtension) metav1.TableRow {
	return metav1.TableRow{
		Cells: []any{
			age(ev.LastTimestamp, now),
			ev.Type,
			ev.Reason,
			"pod/" + ev.InvolvedObject.Name,
			ev.Message,
			ev.Source.Component + ", " + ev.Source.Host,
			ev.Name,
		},
		Object: object,
	}
}

func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}
