package apipods

import (
	v1 "k8s.io/api/core/v1"
)

// ReasonNodePorts is the status reason of a pod that asks for a hostPort
// another pod of this node holds: the name of the kubelet's predicate.
const ReasonNodePorts = "NodePorts"

// nodePortsMessage is the kubelet's message for that refusal (the
// scheduler's NodePorts filter).
const nodePortsMessage = "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"

// hostPort is one port a pod takes on the node.
type hostPort struct {
	ip       string // "0.0.0.0" for every address
	protocol v1.Protocol
	port     int32
}

// hostPorts are the host ports the pods hold, as the scheduler's
// NodePorts filter counts them.
type hostPorts []hostPort

// portsOf lists pod's host ports, defaulted as the API server defaults
// them (TCP, every address).
func portsOf(pod *v1.Pod) hostPorts {
	var out hostPorts
	for i := range pod.Spec.Containers {
		for _, p := range pod.Spec.Containers[i].Ports {
			if p.HostPort <= 0 {
				continue
			}
			hp := hostPort{ip: p.HostIP, protocol: p.Protocol, port: p.HostPort}
			if hp.ip == "" {
				hp.ip = "0.0.0.0"
			}
			if hp.protocol == "" {
				hp.protocol = v1.ProtocolTCP
			}
			out = append(out, hp)
		}
	}
	return out
}

// add counts pod's host ports as held.
func (h *hostPorts) add(pod *v1.Pod) { *h = append(*h, portsOf(pod)...) }

// conflict says whether pod asks for a port held already: the same port
// and protocol on the same address, or on every address on either side.
func (h hostPorts) conflict(pod *v1.Pod) bool {
	for _, want := range portsOf(pod) {
		for _, held := range h {
			if want.port == held.port && want.protocol == held.protocol &&
				(want.ip == held.ip || want.ip == "0.0.0.0" || held.ip == "0.0.0.0") {
				return true
			}
		}
	}
	return false
}
