// Package nodenet is this node's part of a cluster's flat pod network,
// read from the Node objects: the pod CIDR the controller-manager gave
// this node (--allocate-node-cidrs), and the other nodes' pod CIDRs with
// the InternalIP to route each through. No overlay: pod traffic between
// nodes is routed, not NATed, so every pod sees the real source IP.
package nodenet
