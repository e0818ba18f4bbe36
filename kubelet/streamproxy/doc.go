// Package streamproxy holds what the agent's streaming handlers share
// when they hand a client's upgraded connection (SPDY or WebSocket) to the
// CRI runtime's streaming server: completing the streaming URL the runtime
// returns, and keeping the hijacked client connection so a handler can cut
// it (pod gone, agent stopping) and bound how long it may sit idle.
// Port-forward (kubelet/portforward) and exec/attach (kubelet/streaming)
// use it.
package streamproxy
