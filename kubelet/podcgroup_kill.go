package kubelet

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// podCgroupKillWait bounds how long removing a pod's cgroup waits for the
// processes it killed to leave it.
const podCgroupKillWait = 2 * time.Second

// removePodCgroup removes a removed pod's cgroup. A process still in it
// belongs to no container the runtime has: killed in the middle of
// CreateContainer, the runtime leaves the container's "runc init" waiting
// for a start no one will send, and the cgroup can never go (EBUSY). As
// the kubelet's pod container manager does on Destroy, such processes are
// SIGKILLed and the removal is tried again.
func (k *Kubelet) removePodCgroup(uid types.UID, path string) error {
	err := removeCgroup(k.cfg.CgroupRoot, path)
	if err == nil {
		return nil
	}
	killed := killCgroupProcesses(k.cfg.CgroupRoot, path)
	if killed == 0 {
		return err
	}
	k.log.Warn("killed processes left in the cgroup of a removed pod", "uid", uid, "cgroup", path, "processes", killed)
	deadline := time.Now().Add(podCgroupKillWait)
	for {
		err = removeCgroup(k.cfg.CgroupRoot, path)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// killCgroupProcesses SIGKILLs every process in the cgroup at path and its
// children, in every hierarchy under root, and returns how many it
// signalled. The walk is bounded as the stray-cgroup scan's is.
func killCgroupProcesses(root, path string) int {
	pids := map[int]bool{}
	for _, dir := range cgroupCandidates(root, path) {
		dirs := 0
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if dirs++; dirs > maxDirsPerPodCgroup {
				return filepath.SkipAll
			}
			for _, pid := range readCgroupPids(filepath.Join(p, "cgroup.procs")) {
				pids[pid] = true
			}
			return nil
		})
	}
	killed := 0
	for pid := range pids {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	return killed
}

// readCgroupPids reads the process IDs a cgroup.procs file lists; an
// unreadable file lists none.
func readCgroupPids(file string) []int {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var pids []int
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if pid, err := strconv.Atoi(scanner.Text()); err == nil && pid > 1 {
			pids = append(pids, pid)
		}
	}
	return pids
}
