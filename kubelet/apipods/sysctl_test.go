package apipods

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

// A pod setting a sysctl that is not safe fails once with the kubelet's
// SysctlForbidden (the suite's "should not launch unsafe, but not
// explicitly enabled sysctls on the node") instead of failing its sandbox
// forever; safe ones pass, unless the pod shares their namespace with the
// host.
func TestSysctlVerdict(t *testing.T) {
	pod := func(hostNet bool, names ...string) *v1.Pod {
		p := &v1.Pod{Spec: v1.PodSpec{HostNetwork: hostNet, SecurityContext: &v1.PodSecurityContext{}}}
		for _, n := range names {
			p.Spec.SecurityContext.Sysctls = append(p.Spec.SecurityContext.Sysctls, v1.Sysctl{Name: n, Value: "1"})
		}
		return p
	}
	for _, tt := range []struct {
		name string
		pod  *v1.Pod
		want string // the message, "" for admitted
	}{
		{"safe", pod(false, "kernel.shm_rmid_forced", "net.ipv4.tcp_syncookies"), ""},
		{"slashes", pod(false, "net/ipv4/tcp_syncookies"), ""},
		{"unsafe", pod(false, "kernel.shm_rmid_forced", "kernel.msgmax"), `forbidden sysctl: "kernel.msgmax" not allowlisted`},
		{"net on the host's network", pod(true, "net.ipv4.tcp_syncookies"), `forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host net enabled`},
	} {
		v := sysctlVerdict(tt.pod)
		switch {
		case tt.want == "" && v != nil:
			t.Errorf("%s: refused: %+v", tt.name, v)
		case tt.want != "" && (v == nil || v.Reason != ReasonSysctlForbidden || v.Message != tt.want):
			t.Errorf("%s: %+v, want %s %q", tt.name, v, ReasonSysctlForbidden, tt.want)
		}
	}
}
