package node

import (
	"errors"
	"fmt"
	"unicode/utf8"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Reasons, as the kubelet's (pkg/kubelet/nodestatus) where it has one.
const (
	ReasonReady              = "KubeletReady"
	ReasonNotReady           = "KubeletNotReady"
	ReasonSufficientMemory   = "KubeletHasSufficientMemory"
	ReasonInsufficientMemory = "KubeletHasInsufficientMemory"
	ReasonNoDiskPressure     = "KubeletHasNoDiskPressure"
	ReasonDiskPressure       = "KubeletHasDiskPressure"
	ReasonSufficientPID      = "KubeletHasSufficientPID"
	ReasonInsufficientPID    = "KubeletHasInsufficientPID"
	// The kubelet leaves NetworkUnavailable to the network plugin or the
	// route controller; minikubelet configures the pod network itself,
	// so it reports it, with reasons of its own.
	ReasonNetworkReady    = "MinikubeletNetworkReady"
	ReasonNetworkNotReady = "MinikubeletNetworkNotReady"
	// ReasonNotObserved: the host fact behind a condition could not be read.
	ReasonNotObserved = "MinikubeletCannotObserve"
)

// Conditions are the node's conditions from what the host and the
// agent's checks say now. A condition keeps prev's LastTransitionTime
// while its status stays; every heartbeat is now. It is pure.
func Conditions(obs Observations, ready Readiness, prev []v1.NodeCondition, now metav1.Time) []v1.NodeCondition {
	conds := []v1.NodeCondition{
		readyCondition(ready),
		memoryCondition(obs),
		diskCondition(obs),
		pidCondition(obs),
		networkCondition(ready.Network),
	}
	for i := range conds {
		conds[i].LastHeartbeatTime = now
		conds[i].LastTransitionTime = now
		if old := find(prev, conds[i].Type); old != nil && old.Status == conds[i].Status {
			conds[i].LastTransitionTime = old.LastTransitionTime
		}
	}
	return conds
}

func find(conds []v1.NodeCondition, t v1.NodeConditionType) *v1.NodeCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

func readyCondition(ready Readiness) v1.NodeCondition {
	var problems []error
	if ready.Runtime != nil {
		problems = append(problems, fmt.Errorf("container runtime not ready: %w", ready.Runtime))
	}
	if ready.Network != nil {
		problems = append(problems, fmt.Errorf("container runtime network not ready: %w", ready.Network))
	}
	if len(problems) > 0 {
		return cond(v1.NodeReady, v1.ConditionFalse, ReasonNotReady, errors.Join(problems...).Error())
	}
	return cond(v1.NodeReady, v1.ConditionTrue, ReasonReady, "minikubelet is posting ready status")
}

func memoryCondition(obs Observations) v1.NodeCondition {
	if obs.MemoryTotal == 0 {
		return cond(v1.NodeMemoryPressure, v1.ConditionUnknown, ReasonNotObserved, "minikubelet cannot read /proc/meminfo")
	}
	if obs.MemoryAvailable < evictionMemoryAvailable {
		return cond(v1.NodeMemoryPressure, v1.ConditionTrue, ReasonInsufficientMemory,
			fmt.Sprintf("minikubelet has insufficient memory available: %s available, under the kubelet's memory.available<100Mi threshold", binary(obs.MemoryAvailable)))
	}
	return cond(v1.NodeMemoryPressure, v1.ConditionFalse, ReasonSufficientMemory, "minikubelet has sufficient memory available")
}

func diskCondition(obs Observations) v1.NodeCondition {
	if obs.FSCapacity == 0 {
		return cond(v1.NodeDiskPressure, v1.ConditionUnknown, ReasonNotObserved, "minikubelet cannot read the file system of its root directory")
	}
	if obs.FSAvailable*100 < obs.FSCapacity*evictionNodefsPercent {
		return cond(v1.NodeDiskPressure, v1.ConditionTrue, ReasonDiskPressure,
			fmt.Sprintf("minikubelet has disk pressure: %s of %s available on its root directory's file system, under nodefs.available<10%%",
				binary(int64(min(obs.FSAvailable, 1<<62))), binary(int64(min(obs.FSCapacity, 1<<62)))))
	}
	if obs.Inodes > 0 && obs.InodesFree*100 < obs.Inodes*evictionInodesPercent {
		return cond(v1.NodeDiskPressure, v1.ConditionTrue, ReasonDiskPressure,
			fmt.Sprintf("minikubelet has disk pressure: %d of %d inodes free on its root directory's file system, under nodefs.inodesFree<5%%", obs.InodesFree, obs.Inodes))
	}
	return cond(v1.NodeDiskPressure, v1.ConditionFalse, ReasonNoDiskPressure, "minikubelet has no disk pressure")
}

func pidCondition(obs Observations) v1.NodeCondition {
	if obs.PIDMax == 0 {
		return cond(v1.NodePIDPressure, v1.ConditionUnknown, ReasonNotObserved, "minikubelet cannot read kernel.pid_max")
	}
	if free := obs.PIDMax - obs.Processes; free*100 < obs.PIDMax*pidPressurePercent {
		return cond(v1.NodePIDPressure, v1.ConditionTrue, ReasonInsufficientPID,
			fmt.Sprintf("minikubelet has insufficient PID available: %d processes of at most %d", obs.Processes, obs.PIDMax))
	}
	return cond(v1.NodePIDPressure, v1.ConditionFalse, ReasonSufficientPID, "minikubelet has sufficient PID available")
}

func networkCondition(network error) v1.NodeCondition {
	if network != nil {
		return cond(v1.NodeNetworkUnavailable, v1.ConditionTrue, ReasonNetworkNotReady, network.Error())
	}
	return cond(v1.NodeNetworkUnavailable, v1.ConditionFalse, ReasonNetworkReady, "minikubelet's pod network is ready")
}

// maxConditionMessage bounds a condition's message: the runtime's own
// error text goes into it, and the Node is read by every controller.
const maxConditionMessage = 1024

func cond(t v1.NodeConditionType, status v1.ConditionStatus, reason, message string) v1.NodeCondition {
	if len(message) > maxConditionMessage {
		cut := maxConditionMessage
		for cut > 0 && !utf8.RuneStart(message[cut]) {
			cut--
		}
		message = message[:cut] + "…"
	}
	return v1.NodeCondition{Type: t, Status: status, Reason: reason, Message: message}
}

func binary(n int64) string { return resource.NewQuantity(n, resource.BinarySI).String() }
