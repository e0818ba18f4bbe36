package cni

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
)

// masqChain is our nat chain. The bridge plugin's own ipMasq is off because
// Debian's version (1.1.1) masquerades everything leaving the pod CIDR and
// has no exclusion or ipMasqBackend option; with peers that would hide pod
// source IPs from other nodes' pods. This chain masquerades pod traffic
// only when it leaves the cluster CIDR.
const masqChain = "MINIKUBELET-MASQ"

// masqJumpComment marks our jump from POSTROUTING. It has no spaces so
// iptables prints it back unquoted.
const masqJumpComment = "minikubelet-masquerade"

// commandRunner runs a program; tests replace it to record iptables calls.
type commandRunner interface {
	run(ctx context.Context, stdin []byte, name string, args ...string) (stdout []byte, err error)
}

// execRunner runs real programs.
type execRunner struct{}

func (execRunner) run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("%s is not installed: install the iptables package: %w", name, err)
		}
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// masquerade keeps the pod masquerade chain and its jump in place.
type masquerade struct {
	runner      commandRunner
	podCIDR     *net.IPNet
	clusterCIDR *net.IPNet
}

func (m *masquerade) name() string { return "pod masquerade rules" }

// iptables returns the binary for the pod CIDR's family.
func (m *masquerade) iptables() (binary, multicast string) {
	if m.podCIDR.IP.To4() != nil {
		return "iptables", "224.0.0.0/4"
	}
	return "ip6tables", "ff00::/8"
}

// chainRules are the chain's rules exactly as `iptables -S` prints them, so
// the periodic check can compare text without rewriting an intact chain.
func (m *masquerade) chainRules() []string {
	_, multicast := m.iptables()
	return []string{
		"-N " + masqChain,
		fmt.Sprintf("-A %s ! -s %s -j RETURN", masqChain, m.podCIDR),
		fmt.Sprintf("-A %s -d %s -j RETURN", masqChain, m.clusterCIDR),
		fmt.Sprintf("-A %s -d %s -j RETURN", masqChain, multicast),
		fmt.Sprintf("-A %s -j MASQUERADE", masqChain),
	}
}

// ensure installs or repairs the chain and the jump; changed reports
// whether anything had to be written.
func (m *masquerade) ensure(ctx context.Context) (changed bool, err error) {
	binary, _ := m.iptables()
	want := m.chainRules()
	have, listErr := m.runner.run(ctx, nil, binary, "-w", "-t", "nat", "-S", masqChain)
	if listErr != nil || !slices.Equal(splitLines(have), want) {
		if err := m.writeChain(ctx, binary, want); err != nil {
			return false, err
		}
		changed = true
	}
	jump := []string{"POSTROUTING", "-m", "comment", "--comment", masqJumpComment, "-j", masqChain}
	if _, err := m.runner.run(ctx, nil, binary, append([]string{"-w", "-t", "nat", "-C"}, jump...)...); err == nil {
		return changed, nil
	}
	if _, err := m.runner.run(ctx, nil, binary, append([]string{"-w", "-t", "nat", "-A"}, jump...)...); err != nil {
		return changed, fmt.Errorf("adding the jump to %s in nat POSTROUTING: %w", masqChain, err)
	}
	return true, nil
}

// writeChain replaces the chain's content in one iptables-restore
// transaction, so no packet ever sees a half-written chain.
func (m *masquerade) writeChain(ctx context.Context, binary string, rules []string) error {
	var input strings.Builder
	input.WriteString("*nat\n:" + masqChain + " - [0:0]\n")
	for _, rule := range rules[1:] {
		input.WriteString(rule + "\n")
	}
	input.WriteString("COMMIT\n")
	if _, err := m.runner.run(ctx, []byte(input.String()), binary+"-restore", "-w", "--noflush"); err != nil {
		return fmt.Errorf("writing masquerade chain %s: %w", masqChain, err)
	}
	return nil
}

func splitLines(out []byte) []string {
	var lines []string
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}
