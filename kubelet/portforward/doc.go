// Package portforward reaches a pod's ports from the node or a user's
// machine, both halves of `minikubelet port-forward`:
//
//   - The agent side, NewHandler, serves the kubelet's port-forward API. It
//     asks the CRI runtime for a streaming URL (PortForward) and proxies the
//     client's SPDY or WebSocket upgrade to it with apimachinery's
//     UpgradeAwareHandler, as the kubelet does, so the runtime connects to
//     the port on the pod's own localhost. It also cuts a tunnel whose pod
//     went away, which runtimes do not do.
//   - The client side, Start and Run, listens on local ports and forwards
//     each connection either through that tunnel (one SPDY connection per
//     session, one stream pair per connection, the Kubernetes
//     portforward.k8s.io protocol) or, when the agent is on this host
//     (see locality.go) and the pod IP answers, straight to podIP:port,
//     which is several times faster. As
//     root on Linux it goes further: an eBPF cgroup/connect4 program
//     rewrites local connect() calls to its 127.0.0.1 ports into
//     connections to the pod IP, so those bytes never pass through the
//     process at all. UDP ports, which the CRI tunnel cannot carry, are
//     relayed straight to the pod IP.
//
// Unlike kubectl's forwarder, a failing connection is reported and closed
// on its own and never ends the session; the session ends when its context
// does or when the pod is deleted or replaced.
package portforward
