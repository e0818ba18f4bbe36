// Package cni owns the node's pod network configuration: it renders the
// bridge conflist the runtime executes, validates it with libcni and
// releases addresses leaked by sandboxes that no longer exist.
//
// The runtime (containerd, CRI-O) runs CNI ADD/DEL itself inside
// RunPodSandbox/StopPodSandbox, from the first config file in its CNI
// directory. A Manager keeps our file (ConfFileName) there, keeps the host
// state the file relies on (a masquerade chain, routes to peer nodes' pod
// CIDRs) and sweeps leaked host-local allocations, once at Setup and then
// every Config.CheckInterval in Run. CheckNetworkReady and WaitNetworkReady
// read the runtime's own NetworkReady condition.
//
// Facts about Debian 12's containernetworking-plugins (1.1.1) that shape
// this package: they speak CNI up to 1.0.0, so there is no CNI GC and leaks
// are released with DEL; the bridge plugin's ipMasq cannot exclude a range,
// so it is off and our own chain skips the cluster CIDR.
package cni
