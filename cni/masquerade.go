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

// The bridge plugin's own ipMasq is off because Debian's version (1.1.1)
// masquerades everything leaving the pod CIDR and has no exclusion or
// ipMasqBackend option; with peers that would hide pod source IPs from
// other nodes' pods. Our nat chain masquerades pod traffic only when it
// leaves the cluster CIDR.
//
// Chain and jump are named after the bridge: two agents on one host (the
// managed containerd's beside a test bed's, or two bridges) each keep their
// own chain instead of rewriting a shared one every check.
const (
	masqChainPrefix   = "MKLT-MASQ-"
	masqCommentPrefix = "minikubelet-masquerade-"
	// maxBridgeName is Linux's IFNAMSIZ less the NUL; with the prefix it
	// also keeps the chain within iptables' 28 characters.
	maxBridgeName = 15
)

// legacyMasqChain is the one host-wide chain of earlier versions. Left
// behind after an upgrade, its jump sits before ours in POSTROUTING with a
// possibly narrower cluster CIDR, and would masquerade traffic to peers;
// the first ensure removes it.
const legacyMasqChain = "MINIKUBELET-MASQ"

// CheckBridgeName reports why name cannot be the pod bridge: it must be a
// Linux interface name that also fits, unquoted, in our iptables chain name
// and jump comment.
func CheckBridgeName(name string) error {
	valid := name != "" && len(name) <= maxBridgeName && isAlphanumeric(rune(name[0]))
	for _, r := range name {
		valid = valid && (isAlphanumeric(r) || strings.ContainsRune("-_.", r))
	}
	if !valid {
		return fmt.Errorf("bridge name %q: use 1 to %d letters, digits, '-', '_' or '.', starting with a letter or digit (set --bridge-name)", name, maxBridgeName)
	}
	return nil
}

func isAlphanumeric(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

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

// masquerade keeps one bridge's masquerade chain and its jump in place.
type masquerade struct {
	runner      commandRunner
	chain       string // MKLT-MASQ-<bridge>
	comment     string // marks our jump in POSTROUTING
	podCIDR     *net.IPNet
	clusterCIDR *net.IPNet
	legacyGone  bool // the earlier versions' chain was checked for
}

// newMasquerade names the chain and jump after bridge, which must have
// passed CheckBridgeName.
func newMasquerade(runner commandRunner, bridge string, podCIDR, clusterCIDR *net.IPNet) *masquerade {
	return &masquerade{
		runner:      runner,
		chain:       masqChainPrefix + bridge,
		comment:     masqCommentPrefix + bridge,
		podCIDR:     podCIDR,
		clusterCIDR: clusterCIDR,
	}
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
		"-N " + m.chain,
		fmt.Sprintf("-A %s ! -s %s -j RETURN", m.chain, m.podCIDR),
		fmt.Sprintf("-A %s -d %s -j RETURN", m.chain, m.clusterCIDR),
		fmt.Sprintf("-A %s -d %s -j RETURN", m.chain, multicast),
		fmt.Sprintf("-A %s -j MASQUERADE", m.chain),
	}
}

// ensure installs or repairs the chain and the jump; changed reports
// whether anything had to be written.
func (m *masquerade) ensure(ctx context.Context) (changed bool, err error) {
	binary, _ := m.iptables()
	if !m.legacyGone {
		removed, err := m.removeLegacy(ctx, binary)
		if err != nil {
			return false, err
		}
		m.legacyGone, changed = true, removed
	}
	want := m.chainRules()
	have, listErr := m.runner.run(ctx, nil, binary, "-w", "-t", "nat", "-S", m.chain)
	if listErr != nil || !slices.Equal(splitLines(have), want) {
		if err := m.writeChain(ctx, binary, want); err != nil {
			return false, err
		}
		changed = true
	}
	jump := []string{"POSTROUTING", "-m", "comment", "--comment", m.comment, "-j", m.chain}
	if _, err := m.runner.run(ctx, nil, binary, append([]string{"-w", "-t", "nat", "-C"}, jump...)...); err == nil {
		return changed, nil
	}
	if _, err := m.runner.run(ctx, nil, binary, append([]string{"-w", "-t", "nat", "-A"}, jump...)...); err != nil {
		return changed, fmt.Errorf("adding the jump to %s in nat POSTROUTING: %w", m.chain, err)
	}
	return true, nil
}

// writeChain replaces the chain's content in one iptables-restore
// transaction, so no packet ever sees a half-written chain.
func (m *masquerade) writeChain(ctx context.Context, binary string, rules []string) error {
	var input strings.Builder
	input.WriteString("*nat\n:" + m.chain + " - [0:0]\n")
	for _, rule := range rules[1:] {
		input.WriteString(rule + "\n")
	}
	input.WriteString("COMMIT\n")
	if _, err := m.runner.run(ctx, []byte(input.String()), binary+"-restore", "-w", "--noflush"); err != nil {
		return fmt.Errorf("writing masquerade chain %s: %w", m.chain, err)
	}
	return nil
}

// removeLegacy deletes the earlier versions' shared chain and every jump
// to it, in one iptables-restore transaction; removed reports whether there
// was one.
func (m *masquerade) removeLegacy(ctx context.Context, binary string) (removed bool, err error) {
	if _, err := m.runner.run(ctx, nil, binary, "-w", "-t", "nat", "-S", legacyMasqChain); err != nil {
		return false, nil // no such chain: nothing to remove
	}
	postrouting, err := m.runner.run(ctx, nil, binary, "-w", "-t", "nat", "-S", "POSTROUTING")
	if err != nil {
		return false, fmt.Errorf("listing nat POSTROUTING to remove the old chain %s: %w", legacyMasqChain, err)
	}
	var input strings.Builder
	input.WriteString("*nat\n")
	for _, rule := range splitLines(postrouting) {
		if strings.HasSuffix(rule, " -j "+legacyMasqChain) {
			input.WriteString("-D" + strings.TrimPrefix(rule, "-A") + "\n")
		}
	}
	input.WriteString("-F " + legacyMasqChain + "\n-X " + legacyMasqChain + "\nCOMMIT\n")
	if _, err := m.runner.run(ctx, []byte(input.String()), binary+"-restore", "-w", "--noflush"); err != nil {
		return false, fmt.Errorf("removing the old shared masquerade chain %s: %w", legacyMasqChain, err)
	}
	return true, nil
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
