package apiclient

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// maxDescribedEvents is how many of the newest events describe shows.
const maxDescribedEvents = 20

// describePod writes the pod in kubectl's describe layout.
func describePod(out io.Writer, pod *v1.Pod, events []v1.Event, now time.Time) {
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	defer w.Flush()
	field := func(indent int, name, format string, args ...any) {
		fmt.Fprintf(w, "%s%s:\t%s\n", strings.Repeat("  ", indent), name, fmt.Sprintf(format, args...))
	}
	field(0, "Name", "%s", pod.Name)
	field(0, "Namespace", "%s", pod.Namespace)
	field(0, "Node", "%s", orNone(pod.Spec.NodeName))
	if pod.Status.StartTime != nil {
		field(0, "Start Time", "%s", pod.Status.StartTime.Format(time.RFC1123Z))
	}
	field(0, "Labels", "%s", mapText(pod.Labels, "                "))
	field(0, "Manifest", "%s", orNone(pod.Annotations[staticpods.AnnotationManifestFile]))
	status := string(pod.Status.Phase)
	if pod.DeletionTimestamp != nil {
		status = "Terminating (manifest removed " + duration.HumanDuration(now.Sub(pod.DeletionTimestamp.Time)) + " ago)"
	}
	field(0, "Status", "%s", status)
	if pod.Status.Reason != "" {
		field(0, "Reason", "%s", pod.Status.Reason)
	}
	if pod.Status.Message != "" {
		field(0, "Message", "%s", pod.Status.Message)
	}
	field(0, "IP", "%s", pod.Status.PodIP)
	describeManifestErrors(w, pod.Status.Conditions)
	describeContainers(w, "Init Containers", pod.Spec.InitContainers, pod.Status.InitContainerStatuses)
	describeContainers(w, "Containers", pod.Spec.Containers, pod.Status.ContainerStatuses)
	fmt.Fprintln(w, "Conditions:\n  Type\tStatus")
	for _, c := range pod.Status.Conditions {
		fmt.Fprintf(w, "  %s\t%s\n", c.Type, c.Status)
	}
	field(0, "QoS Class", "%s", pod.Status.QOSClass)
	describeEvents(w, events, now)
}

// describeManifestErrors lists the problems of an invalid manifest, one
// a line, from the condition the agent sets.
func describeManifestErrors(w io.Writer, conditions []v1.PodCondition) {
	for _, c := range conditions {
		if c.Type == apiserver.ConditionManifestValid && c.Status == v1.ConditionFalse {
			fmt.Fprintln(w, "Manifest Errors:")
			for _, line := range strings.Split(c.Message, "\n") {
				fmt.Fprintf(w, "  %s\n", line)
			}
		}
	}
}

func describeContainers(w io.Writer, title string, specs []v1.Container, statuses []v1.ContainerStatus) {
	if len(specs) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, c := range specs {
		fmt.Fprintf(w, "  %s:\n", c.Name)
		fmt.Fprintf(w, "    Image:\t%s\n", c.Image)
		var ports []string
		for _, p := range c.Ports {
			ports = append(ports, fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol))
		}
		if len(ports) > 0 {
			fmt.Fprintf(w, "    Port:\t%s\n", strings.Join(ports, ", "))
		}
		if len(c.Command) > 0 || len(c.Args) > 0 {
			fmt.Fprintf(w, "    Command:\t%s\n", strings.Join(append(append([]string(nil), c.Command...), c.Args...), " "))
		}
		for _, s := range statuses {
			if s.Name == c.Name {
				describeContainerStatus(w, s)
			}
		}
	}
}

func describeContainerStatus(w io.Writer, s v1.ContainerStatus) {
	fmt.Fprintf(w, "    Container ID:\t%s\n", s.ContainerID)
	describeState(w, "State", s.State)
	if s.LastTerminationState.Terminated != nil {
		describeState(w, "Last State", s.LastTerminationState)
	}
	fmt.Fprintf(w, "    Ready:\t%t\n", s.Ready)
	fmt.Fprintf(w, "    Restart Count:\t%d\n", s.RestartCount)
}

func describeState(w io.Writer, name string, state v1.ContainerState) {
	switch {
	case state.Running != nil:
		fmt.Fprintf(w, "    %s:\tRunning\n      Started:\t%s\n", name, state.Running.StartedAt.Format(time.RFC1123Z))
	case state.Waiting != nil:
		fmt.Fprintf(w, "    %s:\tWaiting\n      Reason:\t%s\n", name, state.Waiting.Reason)
		if state.Waiting.Message != "" {
			fmt.Fprintf(w, "      Message:\t%s\n", state.Waiting.Message)
		}
	case state.Terminated != nil:
		t := state.Terminated
		fmt.Fprintf(w, "    %s:\tTerminated\n      Reason:\t%s\n      Exit Code:\t%d\n", name, t.Reason, t.ExitCode)
		fmt.Fprintf(w, "      Started:\t%s\n      Finished:\t%s\n", t.StartedAt.Format(time.RFC1123Z), t.FinishedAt.Format(time.RFC1123Z))
		if t.Message != "" {
			fmt.Fprintf(w, "      Message:\t%s\n", t.Message)
		}
	}
}

// describeEvents prints the newest maxDescribedEvents events, oldest first.
func describeEvents(w io.Writer, events []v1.Event, now time.Time) {
	if len(events) == 0 {
		fmt.Fprintln(w, "Events:\t<none>")
		return
	}
	if len(events) > maxDescribedEvents {
		events = events[len(events)-maxDescribedEvents:]
	}
	fmt.Fprintln(w, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------")
	for _, e := range events {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", e.Type, e.Reason, duration.HumanDuration(now.Sub(e.LastTimestamp.Time)), e.Source.Component, e.Message)
	}
}

// mapText is labels as describe prints them: key=value, one a line.
func mapText(m map[string]string, indent string) string {
	if len(m) == 0 {
		return "<none>"
	}
	var pairs []string
	for k, v := range m {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "\n"+indent)
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
