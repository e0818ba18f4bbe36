package metrics

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// nodeReader reads the node's cumulative CPU time and memory working set
// the way cAdvisor does for the root cgroup: from cgroup v1 accounting
// where it exists, else from cgroup v2's cpu.stat and /proc/meminfo (the
// v2 root cgroup has no memory files).
type nodeReader struct {
	root string // "/" on a real node; a fake tree in tests
	now  func() time.Time
}

// userHZ is the unit of /proc/stat; Linux fixes it at 100 for user space.
const userHZ = 100

func (r nodeReader) read() (nodeSample, error) {
	at := r.now()
	cpu, cpuErr := r.cpuSeconds()
	mem, memErr := r.workingSetBytes()
	var n nodeSample
	if cpuErr == nil {
		n.cpu = sample{value: cpu, at: at, ok: true}
	}
	if memErr == nil {
		n.workingSet = sample{value: mem, at: at, ok: true}
	}
	return n, errors.Join(cpuErr, memErr)
}

func (r nodeReader) path(rel string) string { return filepath.Join(r.root, rel) }

func (r nodeReader) cpuSeconds() (float64, error) {
	if nanos, err := readUint(r.path("sys/fs/cgroup/cpuacct/cpuacct.usage")); err == nil {
		return float64(nanos) / float64(time.Second), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("reading node CPU time: %w", err)
	}
	if stat, err := readKeyValues(r.path("sys/fs/cgroup/cpu.stat"), ""); err == nil {
		if usec, ok := stat["usage_usec"]; ok {
			return float64(usec) / 1e6, nil
		}
	}
	return r.procStatCPUSeconds()
}

// procStatCPUSeconds sums the busy columns of /proc/stat's "cpu" line:
// user, nice, system, irq, softirq and steal (not idle or iowait).
func (r nodeReader) procStatCPUSeconds() (float64, error) {
	file := r.path("proc/stat")
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, fmt.Errorf("reading node CPU time: %w", err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, fmt.Errorf("reading node CPU time: %s: first line is not the aggregate cpu line: %q", file, line)
	}
	var ticks uint64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseUint(fields[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading node CPU time: %s: column %d: %w", file, i, err)
		}
		ticks += v
	}
	return float64(ticks) / userHZ, nil
}

func (r nodeReader) workingSetBytes() (float64, error) {
	usage, err := readUint(r.path("sys/fs/cgroup/memory/memory.usage_in_bytes"))
	if errors.Is(err, fs.ErrNotExist) {
		return r.meminfoWorkingSet()
	}
	if err != nil {
		return 0, fmt.Errorf("reading node memory: %w", err)
	}
	stat, err := readKeyValues(r.path("sys/fs/cgroup/memory/memory.stat"), "")
	if err != nil {
		return 0, fmt.Errorf("reading node memory: %w", err)
	}
	return float64(subtractFloor(usage, stat["total_inactive_file"])), nil
}

// meminfoWorkingSet is used memory (total - free) less inactive page cache,
// which the kernel can drop under pressure.
func (r nodeReader) meminfoWorkingSet() (float64, error) {
	info, err := readKeyValues(r.path("proc/meminfo"), ":")
	if err != nil {
		return 0, fmt.Errorf("reading node memory: %w", err)
	}
	total, ok := info["MemTotal"]
	if !ok {
		return 0, fmt.Errorf("reading node memory: %s has no MemTotal", r.path("proc/meminfo"))
	}
	used := subtractFloor(total, info["MemFree"])
	return float64(subtractFloor(used, info["Inactive(file)"]) * 1024), nil // meminfo is in KiB
}

func subtractFloor(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

func readUint(file string) (uint64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}
	return v, nil
}

// readKeyValues parses "key value" lines (with an optional separator after
// the key, as in "MemTotal: 123 kB"); lines that do not parse are skipped.
func readKeyValues(file, sep string) (map[string]uint64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	values := map[string]uint64{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 2 {
			continue
		}
		if v, err := strconv.ParseUint(fields[1], 10, 64); err == nil {
			values[strings.TrimSuffix(fields[0], sep)] = v
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return values, nil
}
