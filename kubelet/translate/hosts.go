package translate

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// ManagesEtcHosts reports whether the pod gets an /etc/hosts of the
// agent's making. A host-network pod sees the node's own file, unless it
// has hostAliases to add to it.
func ManagesEtcHosts(pod *v1.Pod) bool {
	return !pod.Spec.HostNetwork || len(pod.Spec.HostAliases) > 0
}

// localhostEntries open every pod-network pod's /etc/hosts, as the
// kubelet writes them.
const localhostEntries = "127.0.0.1\tlocalhost\n" +
	"::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::0\tip6-localnet\n" +
	"fe00::0\tip6-mcastprefix\n" +
	"fe00::1\tip6-allnodes\n" +
	"fe00::2\tip6-allrouters\n"

// EtcHosts is the pod's managed /etc/hosts: for a host-network pod the
// node's file (nodeHosts), else localhost and the pod's own IPs with its
// hostname (and FQDN when it has a subdomain and no hostname override);
// then its hostAliases.
func EtcHosts(pod *v1.Pod, podIPs []string, nodeHosts []byte) []byte {
	var b strings.Builder
	// The kubelet's headers: tools (and the upstream e2e suite) tell a
	// pod-network file from a host-network one by them.
	if pod.Spec.HostNetwork {
		b.WriteString("# Kubernetes-managed hosts file (host network).\n")
		b.Write(nodeHosts)
	} else {
		b.WriteString("# Kubernetes-managed hosts file.\n")
		b.WriteString(localhostEntries)
		hostname := Hostname(pod)
		for _, ip := range podIPs {
			if pod.Spec.Subdomain != "" && !HasHostnameOverride(pod) {
				fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.cluster.local\t%s\n", ip, hostname, pod.Spec.Subdomain, pod.Namespace, hostname)
				continue
			}
			fmt.Fprintf(&b, "%s\t%s\n", ip, hostname)
		}
	}
	if len(pod.Spec.HostAliases) > 0 {
		b.WriteString("\n# Entries added by HostAliases.\n")
		for _, alias := range pod.Spec.HostAliases {
			fmt.Fprintf(&b, "%s\t%s\n", alias.IP, strings.Join(alias.Hostnames, "\t"))
		}
	}
	return []byte(b.String())
}
