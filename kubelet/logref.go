package kubelet

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podRef names a pod in log lines: namespace/name, or its UID when the
// spec is gone (an adopted orphan).
func podRef(pod *v1.Pod, uid types.UID) string {
	if pod == nil {
		return string(uid)
	}
	return pod.Namespace + "/" + pod.Name
}

// shortID is a runtime ID cut to the 13 characters crictl shows.
func shortID(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}
