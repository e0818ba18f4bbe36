// Package prober runs a pod's liveness, readiness and startup probes and its
// postStart/preStop lifecycle handlers with the kubelet's semantics.
//
// The sync loop owns the pods; this package only watches them. After each
// sync the loop hands the pod's running containers to Manager.UpdatePod,
// which starts one worker goroutine per probe of each new container and
// stops the workers of containers that are gone. Workers keep the
// kubelet's results — readiness false until the first success, liveness
// true until failureThreshold failures in a row, liveness and readiness
// held back until the startup probe passes — and call Config.OnChange when
// a result the loop acts on changes, so the loop re-syncs the pod and asks
// Ready, Started and LivenessFailed.
//
// Results are kept per container ID: a restarted container is a new ID and
// starts from the initial results again, as under the kubelet.
package prober
