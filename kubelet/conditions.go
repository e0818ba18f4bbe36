package kubelet

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// The kubelet's reasons for pod conditions (pkg/kubelet/status): tools and
// the upstream e2e suite read them.
const (
	ReasonContainersNotInitialized = "ContainersNotInitialized"
	ReasonContainersNotReady       = "ContainersNotReady"
	ReasonReadinessGatesNotReady   = "ReadinessGatesNotReady"
	ReasonPodCompleted             = "PodCompleted"
	ReasonPodFailed                = "PodFailed"
)

// podConditions are the kubelet's Initialized, Ready, ContainersReady and
// PodScheduled conditions of a pod whose phase and container statuses are
// in status: each False one with the kubelet's reason and a message naming
// the containers it waits for. Ready also waits for the pod's readiness
// gates, conditions that others set on the pod object (pod.Status).
func podConditions(pod *v1.Pod, status v1.PodStatus) []v1.PodCondition {
	containersReady := containersReadyCondition(pod, status)
	return []v1.PodCondition{
		initializedCondition(pod, status),
		readyCondition(pod, containersReady),
		containersReady,
		{Type: v1.PodScheduled, Status: v1.ConditionTrue},
	}
}

func initializedCondition(pod *v1.Pod, status v1.PodStatus) v1.PodCondition {
	c := v1.PodCondition{Type: v1.PodInitialized, Status: v1.ConditionTrue}
	if status.Phase == v1.PodSucceeded && len(pod.Spec.InitContainers) > 0 {
		c.Reason = ReasonPodCompleted
		return c
	}
	// Once an app container has started the pod stays initialized.
	for _, cs := range status.ContainerStatuses {
		if cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil {
			return c
		}
	}
	var incomplete []string
	for _, spec := range pod.Spec.InitContainers {
		if cs := statusOf(status.InitContainerStatuses, spec.Name); cs == nil || !initContainerDone(&spec, cs) {
			incomplete = append(incomplete, spec.Name)
		}
	}
	if len(incomplete) > 0 {
		c.Status, c.Reason = v1.ConditionFalse, ReasonContainersNotInitialized
		c.Message = fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(incomplete, " "))
	}
	return c
}

func containersReadyCondition(pod *v1.Pod, status v1.PodStatus) v1.PodCondition {
	c := v1.PodCondition{Type: v1.ContainersReady, Status: v1.ConditionFalse}
	switch status.Phase {
	case v1.PodSucceeded:
		c.Reason = ReasonPodCompleted
		return c
	case v1.PodFailed:
		c.Reason = ReasonPodFailed
		return c
	}
	var unknown, unready []string
	// Sidecars serve the app containers, so the pod is ready only with
	// them ready too; they come first in the messages, as the kubelet's.
	for _, spec := range pod.Spec.InitContainers {
		if !isSidecar(&spec) {
			continue
		}
		switch cs := statusOf(status.InitContainerStatuses, spec.Name); {
		case cs == nil:
			unknown = append(unknown, spec.Name)
		case !cs.Ready:
			unready = append(unready, spec.Name)
		}
	}
	for _, spec := range pod.Spec.Containers {
		switch cs := statusOf(status.ContainerStatuses, spec.Name); {
		case cs == nil:
			unknown = append(unknown, spec.Name)
		case !cs.Ready:
			unready = append(unready, spec.Name)
		}
	}
	var messages []string
	if len(unknown) > 0 {
		messages = append(messages, fmt.Sprintf("containers with unknown status: [%s]", strings.Join(unknown, " ")))
	}
	if len(unready) > 0 {
		messages = append(messages, fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " ")))
	}
	if len(messages) > 0 {
		c.Reason, c.Message = ReasonContainersNotReady, strings.Join(messages, ", ")
		return c
	}
	c.Status = v1.ConditionTrue
	return c
}

// readyCondition is ContainersReady's verdict, then the readiness gates'.
func readyCondition(pod *v1.Pod, containersReady v1.PodCondition) v1.PodCondition {
	c := containersReady
	c.Type = v1.PodReady
	if c.Status != v1.ConditionTrue {
		return c
	}
	var messages []string
	for _, gate := range pod.Spec.ReadinessGates {
		switch gc := conditionOf(pod.Status.Conditions, gate.ConditionType); {
		case gc == nil:
			messages = append(messages, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", gate.ConditionType))
		case gc.Status != v1.ConditionTrue:
			messages = append(messages, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %v", gate.ConditionType, gc.Status))
		}
	}
	if len(messages) > 0 {
		c.Status, c.Reason, c.Message = v1.ConditionFalse, ReasonReadinessGatesNotReady, strings.Join(messages, ", ")
	}
	return c
}

// initContainerDone is the kubelet's test of an init container for the
// Initialized condition: a regular one exited 0 (Ready), a sidecar started.
func initContainerDone(spec *v1.Container, cs *v1.ContainerStatus) bool {
	if isSidecar(spec) {
		return cs.Started != nil && *cs.Started
	}
	return cs.Ready
}

func statusOf(statuses []v1.ContainerStatus, name string) *v1.ContainerStatus {
	for i := range statuses {
		if statuses[i].Name == name {
			return &statuses[i]
		}
	}
	return nil
}

func conditionOf(conditions []v1.PodCondition, t v1.PodConditionType) *v1.PodCondition {
	for i := range conditions {
		if conditions[i].Type == t {
			return &conditions[i]
		}
	}
	return nil
}

// resizeConditions are the kubelet's conditions of a resize: pending,
// with why, while the node has no room for it; in progress while a
// container is being brought to its allocation, with the error that
// held it back last, if any.
func resizeConditions(pending *resizePending, inProgress bool, lastError string, generation int64) []v1.PodCondition {
	var out []v1.PodCondition
	if pending != nil {
		out = append(out, v1.PodCondition{Type: v1.PodResizePending, Status: v1.ConditionTrue, Reason: pending.Reason, Message: pending.Message, ObservedGeneration: generation})
	}
	if inProgress {
		c := v1.PodCondition{Type: v1.PodResizeInProgress, Status: v1.ConditionTrue, ObservedGeneration: generation}
		if lastError != "" {
			c.Reason, c.Message = v1.PodReasonError, lastError
		}
		out = append(out, c)
	}
	return out
}
