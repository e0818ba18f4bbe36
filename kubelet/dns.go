package kubelet

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// dnsConfig gives a pod the host's resolver settings. There is no cluster
// DNS on a standalone node, so ClusterFirst falls back to the host's
// settings, as the kubelet does when no cluster DNS is configured.
func (k *Kubelet) dnsConfig(pod *v1.Pod) (*runtimeapi.DNSConfig, error) {
	config := &runtimeapi.DNSConfig{}
	if pod.Spec.DNSPolicy != v1.DNSNone {
		host, err := readResolvConf(k.cfg.ResolvConf)
		if err != nil {
			return nil, err
		}
		config = host
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
	return config, nil
}

func readResolvConf(path string) (*runtimeapi.DNSConfig, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return &runtimeapi.DNSConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading host DNS settings: %w", err)
	}
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
	return config, nil
}

// writeEtcHosts writes the pod's managed /etc/hosts: localhost, the pod's
// own IP and hostname, and hostAliases. Host-network pods see the node's.
func (k *Kubelet) writeEtcHosts(pod *v1.Pod, ips []string) error {
	if pod.Spec.HostNetwork && len(pod.Spec.HostAliases) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("# Kubernetes-managed hosts file (minikubelet).\n")
	if pod.Spec.HostNetwork {
		host, err := os.ReadFile("/etc/hosts")
		if err != nil {
			return fmt.Errorf("reading the node's /etc/hosts: %w", err)
		}
		b.Write(host)
	} else {
		b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n")
		for _, ip := range ips {
			if pod.Spec.Subdomain != "" {
				fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.cluster.local\t%s\n", ip, podHostname(pod), pod.Spec.Subdomain, pod.Namespace, podHostname(pod))
				continue
			}
			fmt.Fprintf(&b, "%s\t%s\n", ip, podHostname(pod))
		}
	}
	if len(pod.Spec.HostAliases) > 0 {
		b.WriteString("\n# Entries added by HostAliases.\n")
		for _, alias := range pod.Spec.HostAliases {
			fmt.Fprintf(&b, "%s\t%s\n", alias.IP, strings.Join(alias.Hostnames, "\t"))
		}
	}
	path := k.etcHostsPath(pod)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing the pod's /etc/hosts: %w", err)
	}
	return nil
}

func (k *Kubelet) etcHostsPath(pod *v1.Pod) string {
	return filepath.Join(k.podDir(pod.UID), "etc-hosts")
}
