package node

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Host reads the observations a Node is built from.
type Host interface {
	Observe() Observations
}

// LinuxHost reads /proc, /etc and /sys, and statfs of RootDir (the
// kubelet's nodefs: where pod volumes and agent state live).
type LinuxHost struct{ RootDir string }

var _ Host = LinuxHost{}

// Observe reads every fact; one it cannot read stays zero.
func (h LinuxHost) Observe() Observations {
	obs := Observations{
		CPUs:       runtime.NumCPU(),
		MachineID:  readTrimmed("/etc/machine-id"),
		BootID:     readTrimmed("/proc/sys/kernel/random/boot_id"),
		SystemUUID: readTrimmed("/sys/class/dmi/id/product_uuid"),
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		obs.KernelVersion = unix.ByteSliceToString(uts.Release[:])
	}
	if data, err := os.ReadFile("/etc/os-release"); err == nil {
		obs.OSImage = osReleaseField(data, "PRETTY_NAME")
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		obs.MemoryTotal = meminfoBytes(data, "MemTotal")
		obs.MemoryAvailable = meminfoBytes(data, "MemAvailable")
	}
	var st unix.Statfs_t
	if unix.Statfs(h.RootDir, &st) == nil {
		obs.FSCapacity, obs.FSAvailable = st.Blocks*uint64(st.Bsize), st.Bavail*uint64(st.Bsize)
		obs.Inodes, obs.InodesFree = st.Files, st.Ffree
	}
	obs.PIDMax, obs.Processes = pids()
	return obs
}

// pids is the kubelet's PID signal: the lower of pid_max and threads-max,
// and the number of processes (sysinfo's procs, which counts threads).
func pids() (limit, running int64) {
	for _, path := range []string{"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"} {
		if n, err := strconv.ParseInt(readTrimmed(path), 10, 64); err == nil && n > 0 && (limit == 0 || n < limit) {
			limit = n
		}
	}
	var info unix.Sysinfo_t
	if unix.Sysinfo(&info) == nil {
		running = int64(info.Procs)
	}
	return limit, running
}

func readTrimmed(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// osReleaseField reads KEY="value" from os-release text.
func osReleaseField(data []byte, key string) string {
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		if value, ok := strings.CutPrefix(scanner.Text(), key+"="); ok {
			if unquoted, err := strconv.Unquote(value); err == nil && value[0] == '"' {
				return unquoted
			}
			if n := len(value); n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n-1] == value[0] {
				return value[1 : n-1]
			}
			return value
		}
	}
	return ""
}

// meminfoBytes reads a field ("MemTotal") of /proc/meminfo text, in bytes;
// 0 when it is absent or unreadable.
func meminfoBytes(data []byte, field string) int64 {
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) >= 2 && fields[0] == field+":" {
			kib, err := strconv.ParseInt(fields[1], 10, 64)
			if err == nil {
				return kib << 10
			}
		}
	}
	return 0
}
