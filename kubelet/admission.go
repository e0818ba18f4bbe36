package kubelet

import (
	"fmt"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// DefaultMaxPods is the kubelet's default maxPods.
const DefaultMaxPods = 110

// admissionPod is what admission knows of one pod.
type admissionPod struct {
	UID types.UID
	// Name is the pod's namespace/name; empty for a pod known only from
	// the runtime (adopted, its manifest gone).
	Name types.NamespacedName
	// Since orders the queue: the pod's creation timestamp when its
	// manifest has one, else when the agent first saw it.
	Since time.Time
	// Holds says the pod has a slot: it was admitted, or the runtime holds
	// something of it (adopted after a restart). A slot is never taken
	// back, so admission evicts nothing.
	Holds bool
	// Wanted says a source asks for the pod; an unwanted one is being torn
	// down and keeps its slot until it is gone.
	Wanted bool
	// Finished says the pod Succeeded or Failed: it runs nothing and, as
	// under the kubelet, holds no slot.
	Finished bool
}

// admission is the verdict on every pod that does not hold a slot yet.
type admission struct {
	// Admitted may start now.
	Admitted map[types.UID]bool
	// Waiting do not fit, with the status message that says so.
	Waiting map[types.UID]string
}

// admitPods decides which pods may start under limit, maxPods. Pods that
// hold a slot keep it, even above the limit (a lowered maxPods after a
// restart stops nothing). The others are admitted while slots are free,
// oldest first, then by namespace/name, so the queue is stable; a new
// version of a pod being torn down (an edited manifest) takes over its
// old version's slot ahead of the queue. It is pure.
func admitPods(pods []admissionPod, limit int) admission {
	wantedNames := map[types.NamespacedName]bool{}
	for _, p := range pods {
		if p.Wanted && !p.Finished && p.Name != (types.NamespacedName{}) {
			wantedNames[p.Name] = true
		}
	}
	used := 0
	handedOver := map[types.NamespacedName]bool{}
	var candidates []admissionPod
	for _, p := range pods {
		switch {
		case p.Finished:
		case p.Holds && !p.Wanted && wantedNames[p.Name] && !handedOver[p.Name]:
			// Its new version counts for both.
			handedOver[p.Name] = true
		case p.Holds:
			used++
		case p.Wanted:
			candidates = append(candidates, p)
		}
	}
	sort.Slice(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		if ra, rb := handedOver[a.Name], handedOver[b.Name]; ra != rb {
			return ra
		}
		if !a.Since.Equal(b.Since) {
			return a.Since.Before(b.Since)
		}
		if a.Name != b.Name {
			return a.Name.String() < b.Name.String()
		}
		return a.UID < b.UID
	})
	out := admission{Admitted: map[types.UID]bool{}, Waiting: map[types.UID]string{}}
	for _, p := range candidates {
		if handedOver[p.Name] || used < limit {
			out.Admitted[p.UID] = true
			used++
			delete(handedOver, p.Name)
		}
	}
	for _, p := range candidates {
		if !out.Admitted[p.UID] {
			out.Waiting[p.UID] = outOfPodsMessage(used, limit)
		}
	}
	return out
}

// outOfPodsMessage is the kubelet's admission message, and what to do.
func outOfPodsMessage(used, limit int) string {
	return fmt.Sprintf("Node didn't have enough resource: pods, requested: 1, used: %d, capacity: %d; "+
		"the pod starts when a slot frees: delete another pod's manifest or raise maxPods (--max-pods) in the agent's config", used, limit)
}
