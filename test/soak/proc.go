package soak

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat. Linux reports
// them in USER_HZ, which is 100 on every architecture it supports.
const userHZ = 100

// ProcMemory is a process's resident memory split as /proc/PID/status
// splits it: anonymous pages (the heap and stacks, where a leak shows)
// and file-backed pages (mostly the binary's own mapped text, which the
// kernel may drop and reread at will).
type ProcMemory struct {
	Anon, File int64 // bytes
}

// ParseStatusMemory reads RssAnon and RssFile from the text of
// /proc/PID/status.
func ParseStatusMemory(status []byte) (ProcMemory, error) {
	var mem ProcMemory
	found := 0
	for _, line := range strings.Split(string(status), "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var into *int64
		switch key {
		case "RssAnon":
			into = &mem.Anon
		case "RssFile":
			into = &mem.File
		default:
			continue
		}
		kib, err := parseKiB(value)
		if err != nil {
			return ProcMemory{}, fmt.Errorf("/proc status field %s: %w", key, err)
		}
		*into = kib << 10
		found++
	}
	if found != 2 {
		return ProcMemory{}, fmt.Errorf("/proc status has no RssAnon and RssFile lines (Linux 4.5 or later has them)")
	}
	return mem, nil
}

// parseKiB parses "   1234 kB".
func parseKiB(value string) (int64, error) {
	number, unit, _ := strings.Cut(strings.TrimSpace(value), " ")
	if unit != "kB" {
		return 0, fmt.Errorf("want a value in kB, got %q", strings.TrimSpace(value))
	}
	return strconv.ParseInt(number, 10, 64)
}

// ParseStatCPU returns the CPU time (user plus system) a process has
// used, from the text of /proc/PID/stat. The command name, field 2, is in
// parentheses and may itself hold spaces and parentheses, so the fields
// are counted from the last ')'.
func ParseStatCPU(stat []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc stat has no command name in parentheses")
	}
	// After the name: state (field 3) ... utime (14), stime (15).
	fields := strings.Fields(string(stat[end+1:]))
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("/proc stat has %d fields after the command name, want at least %d", len(fields), stime+1)
	}
	var ticks int64
	for _, i := range []int{utime, stime} {
		n, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat field %d: %w", i+3, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// ReadProc reads a process's memory, CPU time and open file count.
func ReadProc(pid int) (mem ProcMemory, cpu time.Duration, fds int, err error) {
	dir := fmt.Sprintf("/proc/%d", pid)
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return mem, 0, 0, fmt.Errorf("reading the agent's memory: %w", err)
	}
	if mem, err = ParseStatusMemory(status); err != nil {
		return mem, 0, 0, err
	}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return mem, 0, 0, fmt.Errorf("reading the agent's CPU time: %w", err)
	}
	if cpu, err = ParseStatCPU(stat); err != nil {
		return mem, 0, 0, err
	}
	entries, err := os.ReadDir(dir + "/fd")
	if err != nil {
		return mem, 0, 0, fmt.Errorf("listing the agent's open files: %w", err)
	}
	return mem, cpu, len(entries), nil
}
