package apipods

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// ReasonSysctlForbidden is the kubelet's reason for a pod that sets a
// sysctl the node does not allow.
const ReasonSysctlForbidden = "SysctlForbidden"

// safeSysctls are the kubelet's safe sysctls (pkg/kubelet/sysctl), each
// with the namespace that isolates it; a pod may set only these (the
// agent has no --allowed-unsafe-sysctls). Their kernel minimums are all
// below the kernels the agent supports.
var safeSysctls = map[string]string{
	"kernel.shm_rmid_forced":              "ipc",
	"net.ipv4.ip_local_port_range":        "net",
	"net.ipv4.tcp_syncookies":             "net",
	"net.ipv4.ping_group_range":           "net",
	"net.ipv4.ip_unprivileged_port_start": "net",
	"net.ipv4.ip_local_reserved_ports":    "net",
	"net.ipv4.tcp_keepalive_time":         "net",
	"net.ipv4.tcp_fin_timeout":            "net",
	"net.ipv4.tcp_keepalive_intvl":        "net",
	"net.ipv4.tcp_keepalive_probes":       "net",
	"net.ipv4.tcp_rmem":                   "net",
	"net.ipv4.tcp_wmem":                   "net",
	"net.ipv4.tcp_slow_start_after_idle":  "net",
	"net.ipv4.tcp_notsent_lowat":          "net",
}

// sysctlVerdict refuses a pod whose securityContext sets a sysctl that is
// not safe, or one isolated by a namespace the pod shares with the host,
// with the kubelet's reason and message: the runtime would otherwise fail
// its sandbox over and over (CreatePodSandboxError) instead of the pod
// failing once, visibly.
func sysctlVerdict(pod *v1.Pod) *Verdict {
	sc := pod.Spec.SecurityContext
	if sc == nil {
		return nil
	}
	for _, s := range sc.Sysctls {
		name := normalizeSysctl(s.Name)
		ns, safe := safeSysctls[name]
		var why string
		switch {
		case !safe:
			why = fmt.Sprintf("%q not allowlisted", s.Name)
		case ns == "net" && pod.Spec.HostNetwork, ns == "ipc" && pod.Spec.HostIPC:
			why = fmt.Sprintf("%q not allowed with host %s enabled", s.Name, ns)
		default:
			continue
		}
		return &Verdict{Reason: ReasonSysctlForbidden, Message: "forbidden sysctl: " + why}
	}
	return nil
}

// normalizeSysctl turns a name written with slashes (net/ipv4/tcp_rmem)
// into the dotted form, as the kubelet does when the first separator is a
// slash.
func normalizeSysctl(name string) string {
	if i := strings.IndexAny(name, "./"); i >= 0 && name[i] == '/' {
		return strings.ReplaceAll(name, "/", ".")
	}
	return name
}
