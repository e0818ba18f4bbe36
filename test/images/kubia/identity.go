package main

import (
	"fmt"
	"strconv"
	"strings"
)

// capabilityNames are the Linux capability names by bit number, as in
// <linux/capability.h>, without the CAP_ prefix and in lower case.
var capabilityNames = []string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
	"setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
	"net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
	"sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
	"setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
}

// capabilitySets are the /proc/<pid>/status keys kubia id reports.
var capabilitySets = []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}

// describeIdentity turns the text of /proc/self/status into kubia id's report:
//
//	uid=1000 gid=1000 groups=1000,2000
//	CapEff=00000000a80425fb chown,dac_override,...
//	NoNewPrivs=1
//	Seccomp=2
//
// Capability sets are decoded to names so tests can assert on "net_raw"
// rather than on bit masks.
func describeIdentity(status string) (string, error) {
	fields := map[string]string{}
	for _, line := range strings.Split(status, "\n") {
		key, value, ok := strings.Cut(line, ":")
		if ok {
			fields[key] = strings.TrimSpace(value)
		}
	}
	uid, gid := firstField(fields["Uid"]), firstField(fields["Gid"])
	if uid == "" || gid == "" {
		return "", fmt.Errorf("no Uid/Gid lines in /proc/self/status")
	}
	var report strings.Builder
	groups := strings.Join(strings.Fields(fields["Groups"]), ",")
	fmt.Fprintf(&report, "uid=%s gid=%s groups=%s\n", uid, gid, groups)
	for _, set := range capabilitySets {
		mask, err := strconv.ParseUint(fields[set], 16, 64)
		if err != nil {
			return "", fmt.Errorf("parse %s %q from /proc/self/status: %w", set, fields[set], err)
		}
		fmt.Fprintf(&report, "%s=%016x %s\n", set, mask, capabilityList(mask))
	}
	for _, key := range []string{"NoNewPrivs", "Seccomp"} {
		if value, ok := fields[key]; ok {
			fmt.Fprintf(&report, "%s=%s\n", key, value)
		}
	}
	return report.String(), nil
}

// firstField returns the real ID of a "real effective saved fs" line.
func firstField(value string) string {
	fields := strings.Fields(value)
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

// capabilityList names the bits set in mask, comma-separated; bits newer
// than this table show as cap_<bit>.
func capabilityList(mask uint64) string {
	var names []string
	for bit := range 64 {
		if mask&(1<<bit) == 0 {
			continue
		}
		if bit < len(capabilityNames) {
			names = append(names, capabilityNames[bit])
		} else {
			names = append(names, "cap_"+strconv.Itoa(bit))
		}
	}
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ",")
}
