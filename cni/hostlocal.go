package cni

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultHostLocalDataDir is where host-local keeps allocations when the
// conflist sets no dataDir.
const DefaultHostLocalDataDir = "/var/lib/cni/networks"

// allocation is one address host-local has handed out: a file named after
// the IP whose content is the container ID, a line break and the interface.
type allocation struct {
	ip          string
	containerID string
	ifName      string
	modTime     time.Time
}

// hostLocalStore reads and releases host-local allocations of one network.
type hostLocalStore struct {
	dir string
}

func newHostLocalStore(dataDir string) hostLocalStore {
	if dataDir == "" {
		dataDir = DefaultHostLocalDataDir
	}
	return hostLocalStore{dir: filepath.Join(dataDir, NetworkName)}
}

// list returns every allocation in the network's directory; files that are
// not named after an IP (the lock, last_reserved_ip.N) are not allocations.
func (s hostLocalStore) list() ([]allocation, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing host-local allocations in %s: %w", s.dir, err)
	}
	var allocations []allocation
	for _, entry := range entries {
		if entry.IsDir() || net.ParseIP(entry.Name()) == nil {
			continue
		}
		alloc, err := s.read(entry.Name())
		if errors.Is(err, fs.ErrNotExist) {
			continue // released while we listed
		}
		if err != nil {
			return nil, err
		}
		allocations = append(allocations, alloc)
	}
	return allocations, nil
}

func (s hostLocalStore) read(ip string) (allocation, error) {
	path := filepath.Join(s.dir, ip)
	info, err := os.Stat(path)
	if err != nil {
		return allocation{}, fmt.Errorf("reading host-local allocation %s: %w", path, err)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return allocation{}, fmt.Errorf("reading host-local allocation %s: %w", path, err)
	}
	containerID, ifName := parseAllocation(string(content))
	return allocation{ip: ip, containerID: containerID, ifName: ifName, modTime: info.ModTime()}, nil
}

// parseAllocation splits an allocation file; host-local writes
// "ID\r\nIFNAME" (older versions only "ID").
func parseAllocation(content string) (containerID, ifName string) {
	lines := strings.Split(content, "\n")
	containerID = strings.TrimSpace(lines[0])
	if len(lines) > 1 {
		ifName = strings.TrimSpace(lines[1])
	}
	return containerID, ifName
}

// release removes the allocation file of ip if it still belongs to
// containerID. It holds host-local's own lock so it cannot interleave with a
// plugin run, and re-reads the owner under it because the address may have
// been released and handed to a new sandbox since it was listed.
func (s hostLocalStore) release(ip, containerID string) (released bool, err error) {
	unlock, err := s.lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	current, err := s.read(ip)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if current.containerID != containerID {
		return false, nil
	}
	path := filepath.Join(s.dir, ip)
	if err := os.Remove(path); err != nil {
		return false, fmt.Errorf("removing host-local allocation %s: %w", path, err)
	}
	return true, nil
}

// lock takes the flock host-local takes on DIR/lock.
func (s hostLocalStore) lock() (unlock func(), err error) {
	path := filepath.Join(s.dir, "lock")
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening host-local lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking host-local lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
