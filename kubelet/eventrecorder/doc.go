// Package eventrecorder posts the events the agent records on its pods
// and its node to the API server as core/v1 Events, as the kubelet's event
// recorder does: source component "kubelet" on the node's host, repeats
// folded into one Event by client-go's event correlator (count and
// lastTimestamp patched, similar events aggregated, a spam filter per
// object), and a bounded queue that drops, and counts, what an API server
// too slow or away cannot take, so recording never holds up a pod.
//
// It uses client-go's EventCorrelator only, not its broadcaster: that one
// logs through klog, cannot say how many events it dropped, and calls the
// sink without a deadline.
package eventrecorder
