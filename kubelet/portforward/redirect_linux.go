package portforward

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Offsets of the fields the program reads and writes in the kernel's
// struct bpf_sock_addr (include/uapi/linux/bpf.h).
const (
	sockAddrUserIP4   = 4
	sockAddrUserPort  = 24
	sockAddrType      = 32
	bpfProgramLicense = "Dual MIT/GPL"
)

// redirectRule sends connections to From (a loopback socket of the
// session) to To (the pod's IP and port) instead.
type redirectRule struct {
	From, To netip.AddrPort
}

// kernelRedirect rewrites the destination of connect() calls to the
// session's loopback ports in the kernel, with a cgroup/connect4 eBPF
// program, so a local client talks to the pod directly and no byte passes
// through this process: forwarding costs nothing once connected. The
// program is attached through a BPF link owned by this process, so the
// kernel detaches it when the process exits, even on SIGKILL. It only
// touches TCP sockets of this network namespace.
type kernelRedirect struct {
	cgroup      string
	netnsCookie uint64

	mu   sync.Mutex
	link link.Link
	prog *ebpf.Program
}

// newKernelRedirect checks that redirecting is possible here: a cgroup v2
// hierarchy and a kernel that reports network namespace cookies.
func newKernelRedirect() (*kernelRedirect, error) {
	cgroup, err := cgroup2Mount()
	if err != nil {
		return nil, err
	}
	cookie, err := netnsCookie()
	if err != nil {
		return nil, err
	}
	return &kernelRedirect{cgroup: cgroup, netnsCookie: cookie}, nil
}

// set installs rules, replacing the previous ones; no rules detaches.
func (k *kernelRedirect) set(rules []redirectRule) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(rules) == 0 {
		k.detach()
		return nil
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "mkl_pf_connect4",
		Type:         ebpf.CGroupSockAddr,
		AttachType:   ebpf.AttachCGroupInet4Connect,
		Instructions: redirectProgram(k.netnsCookie, rules),
		License:      bpfProgramLicense,
	})
	if err != nil {
		return fmt.Errorf("loading the connect redirect program: %w", err)
	}
	if k.link != nil {
		if err := k.link.Update(prog); err != nil {
			prog.Close()
			return fmt.Errorf("replacing the connect redirect program: %w", err)
		}
	} else {
		k.link, err = link.AttachCgroup(link.CgroupOptions{Path: k.cgroup, Attach: ebpf.AttachCGroupInet4Connect, Program: prog})
		if err != nil {
			prog.Close()
			return fmt.Errorf("attaching the connect redirect program to cgroup %s: %w", k.cgroup, err)
		}
	}
	if k.prog != nil {
		k.prog.Close()
	}
	k.prog = prog
	return nil
}

// close detaches the program.
func (k *kernelRedirect) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.detach()
}

func (k *kernelRedirect) detach() {
	if k.link != nil {
		_ = k.link.Close()
		k.link = nil
	}
	if k.prog != nil {
		_ = k.prog.Close()
		k.prog = nil
	}
}

// redirectProgram builds the connect4 program: for a TCP socket of our
// network namespace connecting to a rule's From, write the rule's To into
// the address; every connect is allowed (return 1).
func redirectProgram(netnsCookie uint64, rules []redirectRule) asm.Instructions {
	insns := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1), // R6 = ctx, kept across the helper call
		asm.FnGetNetnsCookie.Call(),
		asm.LoadImm(asm.R1, int64(netnsCookie), asm.DWord),
		asm.JNE.Reg(asm.R0, asm.R1, "allow"),
		asm.LoadMem(asm.R2, asm.R6, sockAddrType, asm.Word),
		asm.JNE.Imm(asm.R2, unix.SOCK_STREAM, "allow"),
		asm.LoadMem(asm.R2, asm.R6, sockAddrUserIP4, asm.Word),
		asm.LoadMem(asm.R3, asm.R6, sockAddrUserPort, asm.Word),
	}
	for i, rule := range rules {
		next := "allow"
		if i+1 < len(rules) {
			next = fmt.Sprintf("rule%d", i+1)
		}
		matchIP := asm.JNE.Imm(asm.R2, wireIP4(rule.From.Addr()), next)
		if i > 0 {
			matchIP = matchIP.WithSymbol(fmt.Sprintf("rule%d", i))
		}
		insns = append(insns,
			matchIP,
			asm.JNE.Imm(asm.R3, wirePort(rule.From.Port()), next),
			asm.StoreImm(asm.R6, sockAddrUserIP4, int64(wireIP4(rule.To.Addr())), asm.Word),
			asm.StoreImm(asm.R6, sockAddrUserPort, int64(wirePort(rule.To.Port())), asm.Word),
			asm.Ja.Label("allow"),
		)
	}
	return append(insns,
		asm.Mov.Imm(asm.R0, 1).WithSymbol("allow"),
		asm.Return(),
	)
}

// wireIP4 is the 32-bit value the kernel shows for addr: network byte
// order in memory, read as a native (little-endian on the architectures
// this runs on) word.
func wireIP4(addr netip.Addr) int32 {
	b := addr.As4()
	return int32(binary.NativeEndian.Uint32(b[:]))
}

// wirePort is the port in network byte order, as bpf_sock_addr keeps it.
func wirePort(port uint16) int32 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], port)
	return int32(binary.NativeEndian.Uint16(b[:]))
}

// netnsCookie identifies this process's network namespace to the program.
func netnsCookie() (uint64, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("reading the network namespace cookie: %w", err)
	}
	defer unix.Close(fd)
	cookie, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_NETNS_COOKIE)
	if err != nil {
		return 0, fmt.Errorf("reading the network namespace cookie (needs Linux 5.14): %w", err)
	}
	return cookie, nil
}

// cgroup2Mount finds the cgroup v2 hierarchy: /sys/fs/cgroup on unified
// systems, /sys/fs/cgroup/unified on hybrid ones.
func cgroup2Mount() (string, error) {
	file, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("finding the cgroup v2 mount: %w", err)
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		// "... mountpoint options - fstype source superopts"
		fields := strings.Fields(scanner.Text())
		for i, f := range fields {
			if f == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return fields[4], nil
			}
		}
	}
	if err := scanner.Err(); err != nil {
		return "", fmt.Errorf("finding the cgroup v2 mount: %w", err)
	}
	return "", errors.New("no cgroup v2 hierarchy is mounted")
}
