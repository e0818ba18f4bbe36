// Package cri is minikubelet's CRI client: a gRPC connection to a CRI v1
// runtime (containerd, CRI-O) with endpoint detection, connect retry, a
// version check and a deadline on every call.
//
// *Client implements k8s.io/cri-api's RuntimeService and
// ImageManagerService, so anything written against those interfaces (and
// their fakes) works with it. Every RPC runs under the shorter of the
// caller's deadline and a per-call default (Config), reports itself to an
// optional Observer under kubelet's operation names, and fails with an *Error
// that says what was being done and what the runtime answered while keeping
// the gRPC status code inspectable (status.Code, errors.As, IsNotFound).
//
// Why not k8s.io/cri-client, the client kubelet itself uses: it drags in
// klog, k8s.io/component-base, OpenTelemetry tracing and kubelet feature
// gates, which would multiply the agent's dependency tree and binary size for
// what is about four hundred lines of straightforward gRPC calls. Owning
// those lines lets us choose the timeouts (including a connect retry that
// stops on context cancel), shape error messages for people rather than for
// gRPC, log through log/slog and feed our own metrics hook, none of which that
// client lets a caller control.
package cri
