package translate

import (
	"bufio"
	"bytes"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// DNSConfig is the pod's resolver configuration: the node's settings
// (host) unless the pod's DNS policy is None, then the pod's own
// dnsConfig appended. There is no cluster DNS on a standalone node, so
// ClusterFirst gets the node's settings, as the kubelet gives it when no
// cluster DNS is configured. host is not modified.
func DNSConfig(host *runtimeapi.DNSConfig, pod *v1.Pod) *runtimeapi.DNSConfig {
	config := &runtimeapi.DNSConfig{}
	if pod.Spec.DNSPolicy != v1.DNSNone && host != nil {
		config.Servers = slices.Clone(host.Servers)
		config.Searches = slices.Clone(host.Searches)
		config.Options = slices.Clone(host.Options)
	}
	if extra := pod.Spec.DNSConfig; extra != nil {
		config.Servers = append(config.Servers, extra.Nameservers...)
		config.Searches = append(config.Searches, extra.Searches...)
		for _, o := range extra.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			config.Options = append(config.Options, opt)
		}
	}
	return config
}

// NeedsHostDNS reports whether the pod's sandbox starts from the node's
// resolver settings, so they are worth reading.
func NeedsHostDNS(pod *v1.Pod) bool {
	return !pod.Spec.HostNetwork && pod.Spec.DNSPolicy != v1.DNSNone
}

// ExpectsClusterDNS reports a pod whose DNS policy asks for the cluster's
// DNS, which a standalone node does not have: it gets the node's resolver
// instead, which is worth telling its author.
func ExpectsClusterDNS(pod *v1.Pod) bool {
	return !pod.Spec.HostNetwork && (pod.Spec.DNSPolicy == v1.DNSClusterFirst || pod.Spec.DNSPolicy == "")
}

// ParseResolvConf reads the nameserver, search (and domain) and options
// lines of a resolv.conf; comments and other lines are skipped.
func ParseResolvConf(data []byte) *runtimeapi.DNSConfig {
	config := &runtimeapi.DNSConfig{}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") || strings.HasPrefix(fields[0], ";") {
			continue
		}
		switch fields[0] {
		case "nameserver":
			config.Servers = append(config.Servers, fields[1])
		case "search", "domain":
			config.Searches = append(config.Searches, fields[1:]...)
		case "options":
			config.Options = append(config.Options, fields[1:]...)
		}
	}
	return config
}
