package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ticksPerSecond is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture the project builds for.
const ticksPerSecond = 100

// memory is a process's resident memory in MiB. file is mostly the
// binary's mapped pages; anon is what the process allocated itself.
type memory struct {
	rss, anon, file float64
}

func (m memory) String() string {
	return fmt.Sprintf("%.1f MiB = %.1f anonymous + %.1f file-backed", m.rss, m.anon, m.file)
}

// parseStatus reads VmRSS, RssAnon and RssFile (kB) from /proc/PID/status.
func parseStatus(text string) (memory, error) {
	var m memory
	found := 0
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		var field *float64
		switch fields[0] {
		case "VmRSS:":
			field = &m.rss
		case "RssAnon:":
			field = &m.anon
		case "RssFile:":
			field = &m.file
		default:
			continue
		}
		kb, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			return memory{}, fmt.Errorf("reading %s from /proc/PID/status: %w", fields[0], err)
		}
		*field = kb / 1024
		found++
	}
	if found != 3 {
		return memory{}, fmt.Errorf("/proc/PID/status lacks VmRSS, RssAnon or RssFile (Linux ≥ 4.5 has them)")
	}
	return m, nil
}

// parseStatTicks returns utime + stime + cutime + cstime, in ticks, from
// /proc/PID/stat: the CPU time of all the process's threads and of the
// children it waited for (the agent's iptables checks and CNI plugin runs
// are its work too).
func parseStatTicks(text string) (uint64, error) {
	// The command name is in parentheses and may hold spaces.
	end := strings.LastIndexByte(text, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc/PID/stat has no command name: %q", text)
	}
	// After the name: state (field 3) ... utime (14), stime (15), cutime
	// (16), cstime (17).
	fields := strings.Fields(text[end+1:])
	if len(fields) < 15 {
		return 0, fmt.Errorf("/proc/PID/stat is short: %q", text)
	}
	var total uint64
	for _, field := range fields[11:15] {
		ticks, err := strconv.ParseUint(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/PID/stat utime, stime, cutime, cstime %q are not numbers", fields[11:15])
		}
		total += ticks
	}
	return total, nil
}

// cpuTime is the CPU time ticks stand for.
func cpuTime(ticks uint64) time.Duration {
	return time.Duration(ticks) * time.Second / ticksPerSecond
}

func procMemory(pid int) (memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("reading the agent's memory: %w", err)
	}
	return parseStatus(string(data))
}

func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the agent's CPU time: %w", err)
	}
	ticks, err := parseStatTicks(string(data))
	return cpuTime(ticks), err
}
