package cni

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Two agents whose runtimes differ must not share a pod network's
// host-local data: each releases, as leaked, every address whose sandbox its
// own runtime does not list, which is every address of the other. Agents
// on the same runtime may share it (they see the same sandboxes; the test
// bed runs many). LockNetwork enforces that with flocks in the network's
// host-local directory: a flock dies with its process, so a crashed agent
// never leaves the network locked.
const (
	// networkGuardFile serialises the check-then-register of agents.
	networkGuardFile = "minikubelet-network.lock"
	// holderFilePrefix starts each registered agent's file, which it keeps
	// flocked while it runs and which records who it is.
	holderFilePrefix = "minikubelet-agent-"
	holderFileSuffix = ".lock"
	// guardWait bounds the wait for the guard, which others hold for the
	// few milliseconds their own check takes.
	guardWait = 10 * time.Second
	// maxHolderFiles and maxHolderRecord bound what one check reads.
	maxHolderFiles  = 1024
	maxHolderRecord = 4096
)

// NetworkHolder is an agent using a pod network, as its lock file records it.
type NetworkHolder struct {
	Node            string `json:"node"`
	PID             int    `json:"pid"`
	RootDir         string `json:"rootDir"`
	RuntimeEndpoint string `json:"runtimeEndpoint"`
	Bridge          string `json:"bridge"`
	PodCIDR         string `json:"podCIDR"`
}

func (h NetworkHolder) String() string {
	return fmt.Sprintf("node %q (pid %d, root dir %s, runtime %s, bridge %s, pod CIDR %s)",
		h.Node, h.PID, h.RootDir, h.RuntimeEndpoint, h.Bridge, h.PodCIDR)
}

// NetworkInUseError says another agent, on another runtime, holds the
// network.
type NetworkInUseError struct {
	Dir   string // the network's host-local directory
	Other NetworkHolder
	Self  NetworkHolder
}

func (e *NetworkInUseError) Error() string {
	return fmt.Sprintf("the pod network in %s is in use by the agent of %s, whose runtime is not this agent's (%s): "+
		"on one network each would release the other's pod addresses as leaks; give this agent a network of its own "+
		"with --bridge-name, --pod-cidr and --cni-data-dir (and --cni-cache-dir, which must be its runtime's), "+
		"or stop the other agent", e.Dir, e.Other, e.Self.RuntimeEndpoint)
}

// NetworkLock is this agent's registration on a network; Release ends it
// (so does the process's exit).
type NetworkLock struct {
	file *os.File
}

// Release unlocks and removes the holder file.
func (l *NetworkLock) Release() error {
	if l == nil || l.file == nil {
		return nil
	}
	path := l.file.Name()
	err := os.Remove(path)
	l.file.Close() // closing drops the flock
	l.file = nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing network lock %s: %w", path, err)
	}
	return nil
}

// NetworkDir is the network's host-local directory, where its
// allocations and its locks are.
func (cfg Config) NetworkDir() string {
	return newHostLocalStore(cfg.DataDir).dir
}

// LockNetwork registers me as a user of the network in dir. It fails with
// a *NetworkInUseError when a live agent of another runtime holds it.
// Registrations of agents that are gone are removed on the way.
func LockNetwork(dir string, me NetworkHolder) (*NetworkLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the network directory %s: %w", dir, err)
	}
	guard, err := lockGuard(filepath.Join(dir, networkGuardFile))
	if err != nil {
		return nil, err
	}
	defer guard.Close()
	holders, err := liveHolders(dir)
	if err != nil {
		return nil, err
	}
	for _, other := range holders {
		if !sameRuntime(other.RuntimeEndpoint, me.RuntimeEndpoint) {
			return nil, &NetworkInUseError{Dir: dir, Other: other, Self: me}
		}
	}
	return register(dir, me)
}

// lockGuard takes the guard's flock, waiting at most guardWait.
func lockGuard(path string) (*os.File, error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(guardWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w (another agent holds it; is one stuck?)", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening network lock %s: %w", path, err)
	}
	return f, nil
}

// liveHolders reads the registrations whose agent still holds its flock,
// and removes the others. The caller holds the guard.
func liveHolders(dir string) ([]NetworkHolder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing network locks in %s: %w", dir, err)
	}
	var holders []NetworkHolder
	seen := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), holderFilePrefix) || !strings.HasSuffix(e.Name(), holderFileSuffix) {
			continue
		}
		if seen++; seen > maxHolderFiles {
			return nil, fmt.Errorf("over %d agent locks in %s: remove the stale ones", maxHolderFiles, dir)
		}
		holder, live, err := readHolder(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if live {
			holders = append(holders, holder)
		}
	}
	return holders, nil
}

// readHolder tells a live registration (its flock is held) from a stale
// one, which it removes.
func readHolder(path string) (holder NetworkHolder, live bool, err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return holder, false, nil
	}
	if err != nil {
		return holder, false, fmt.Errorf("opening network lock %s: %w", path, err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		// Nobody holds it: its agent is gone.
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return holder, false, fmt.Errorf("removing stale network lock %s: %w", path, err)
		}
		return holder, false, nil
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		return holder, false, fmt.Errorf("checking network lock %s: %w", path, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxHolderRecord))
	if err != nil {
		return holder, false, fmt.Errorf("reading network lock %s: %w", path, err)
	}
	if err := json.Unmarshal(data, &holder); err != nil {
		// Held, but unreadable: still an agent whose runtime we cannot
		// compare, so it counts as another runtime's.
		holder = NetworkHolder{Node: "unknown", RuntimeEndpoint: "unknown (" + path + " is unreadable)"}
	}
	return holder, true, nil
}

// register creates and flocks this agent's holder file and writes who it is.
func register(dir string, me NetworkHolder) (*NetworkLock, error) {
	suffix := make([]byte, 8)
	_, _ = rand.Read(suffix)
	path := filepath.Join(dir, holderFilePrefix+hex.EncodeToString(suffix)+holderFileSuffix)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating network lock %s: %w", path, err)
	}
	lock := &NetworkLock{file: f}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = lock.Release()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	record, _ := json.Marshal(me)
	if _, err := f.Write(append(record, '\n')); err != nil {
		_ = lock.Release()
		return nil, fmt.Errorf("writing network lock %s: %w", path, err)
	}
	return lock, nil
}

// sameRuntime compares CRI endpoints as the sockets they name: unix://
// or not, and through symlinks (/var/run is /run). A proxy in front of the
// same runtime has a socket of its own and counts as another runtime.
func sameRuntime(a, b string) bool {
	return endpointSocket(a) == endpointSocket(b)
}

func endpointSocket(endpoint string) string {
	path := filepath.Clean(strings.TrimPrefix(endpoint, "unix://"))
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		return resolved
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		return filepath.Join(dir, filepath.Base(path))
	}
	return path
}
