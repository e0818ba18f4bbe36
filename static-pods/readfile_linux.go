package staticpods

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// pseudoFileSystems are the kernel's file systems whose "regular files"
// are views of kernel state: a manifest symlinked into /proc or /sys
// would read a process's environment or kernel secrets, and many of these
// files report size 0 whatever they hold, so the size check cannot stand
// in for this one.
var pseudoFileSystems = map[int64]string{
	unix.PROC_SUPER_MAGIC:    "/proc (procfs)",
	unix.SYSFS_MAGIC:         "/sys (sysfs)",
	unix.DEBUGFS_MAGIC:       "debugfs",
	unix.TRACEFS_MAGIC:       "tracefs",
	unix.SECURITYFS_MAGIC:    "securityfs",
	unix.CGROUP_SUPER_MAGIC:  "cgroupfs",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2fs",
	unix.BPF_FS_MAGIC:        "bpffs",
	unix.PSTOREFS_MAGIC:      "pstore",
	unix.EFIVARFS_MAGIC:      "efivarfs",
	unix.SELINUX_MAGIC:       "selinuxfs",
	unix.SMACK_MAGIC:         "smackfs",
	unix.DEVPTS_SUPER_MAGIC:  "devpts",
	unix.BINFMTFS_MAGIC:      "binfmt_misc",
	unix.HUGETLBFS_MAGIC:     "hugetlbfs",
}

// pseudoFileSystem names the kernel pseudo-file system file lives on, or
// is "" for a file on disk.
func pseudoFileSystem(file *os.File) (string, error) {
	var fs unix.Statfs_t
	// Through the raw connection: Fd would switch the file to blocking mode.
	conn, err := file.SyscallConn()
	if err == nil {
		controlErr := conn.Control(func(fd uintptr) { err = unix.Fstatfs(int(fd), &fs) })
		err = errors.Join(controlErr, err)
	}
	if err != nil {
		return "", fmt.Errorf("cannot inspect the file system the file is on: %w", err)
	}
	return pseudoFileSystems[int64(fs.Type)], nil
}

// holdReadLease takes a read lease on the opened file. The kernel grants
// one only while nobody has the file open for writing, and while it is
// held a writer's open waits until it ends (at close, right after the
// read): what is read under it is what a writer finished. It needs the
// file's owner or CAP_LEASE, and a file system with leases; elsewhere it
// cannot tell. A writer that opens meanwhile makes the kernel send SIGIO,
// which the Go runtime ignores unless asked for it.
func holdReadLease(file *os.File) writerStatus {
	conn, err := file.SyscallConn()
	if err != nil {
		return writersUnknown
	}
	var leaseErr error
	if err := conn.Control(func(fd uintptr) { _, leaseErr = unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_RDLCK) }); err != nil {
		return writersUnknown
	}
	switch {
	case leaseErr == nil:
		return writersNone
	case errors.Is(leaseErr, unix.EAGAIN):
		return writersPresent
	}
	return writersUnknown // EACCES: not ours; EINVAL: no leases on this file system
}
