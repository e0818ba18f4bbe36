package agent

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/minikubelet/minikubelet/kubelet/apiserver"
)

// nodeInfo describes this host for the node API's Node: its capacity, its
// kernel and OS, and the runtime. Facts it cannot read are left empty
// (shown as <unknown>), never guessed.
func nodeInfo(runtimeName, runtimeVersion string, maxPods int, ready func(context.Context) error) apiserver.NodeInfo {
	info := apiserver.NodeInfo{CPUs: runtime.NumCPU(), MaxPods: maxPods, Ready: ready}
	if runtimeName != "" {
		info.ContainerRuntimeVersion = runtimeName + "://" + runtimeVersion
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		info.KernelVersion = unix.ByteSliceToString(uts.Release[:])
	}
	if data, err := os.ReadFile("/etc/os-release"); err == nil {
		info.OSImage = osReleaseField(data, "PRETTY_NAME")
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		info.MemoryBytes = memTotalBytes(data)
	}
	return info
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

// memTotalBytes reads MemTotal from /proc/meminfo text, in bytes.
func memTotalBytes(data []byte) int64 {
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kib, err := strconv.ParseInt(fields[1], 10, 64)
			if err == nil {
				return kib << 10
			}
		}
	}
	return 0
}
