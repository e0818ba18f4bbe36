// Package translate turns a v1 Pod and the node's settings into the CRI
// runtime's terms: the sandbox config, each container's config, security
// contexts, namespaces, DNS, labels and annotations, the pod cgroup's
// limits and the container hash.
//
// It is pure: it reads no file, opens no socket and looks at no clock, so
// every rule is one table test away (translate_purity_test.go keeps it
// so). Whatever needs the host (the pod's directories and cgroup,
// /etc/hosts, the node's resolv.conf, volume set-up, subPath binds) is the
// kubelet package's host step, which hands its results in: the node's DNS
// settings as Node.HostDNS, the mounts as ContainerConfig's argument.
package translate
