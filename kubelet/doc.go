// Package kubelet is minikubelet's pod sync loop: it compares the pods the
// manifest source wants with what the CRI runtime runs, plans the difference
// per pod with a pure function, and executes that plan through narrow
// runtime, image and network interfaces.
package kubelet
