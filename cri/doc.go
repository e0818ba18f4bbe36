// Package cri is minikubelet's CRI client: a gRPC connection to a CRI v1
// runtime (containerd, CRI-O) with endpoint detection, connect retry, a
// version check and a deadline on every call.
package cri
