package framework

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// commandTimeout bounds one ip/nsenter/iptables run of a test.
const commandTimeout = time.Minute

// Netns is a named network namespace (ip netns) a test created and owns.
type Netns struct {
	// Name is the namespace's name under /var/run/netns.
	Name string
}

// NewNetns creates a network namespace named prefix plus a random suffix,
// with its loopback up (the runtime's streaming server and pods' localhost
// need it), and deletes it when the test ends; links inside it go with it.
func NewNetns(t testing.TB, prefix string) *Netns {
	t.Helper()
	ns := &Netns{Name: prefix + RandomHex(3)}
	MustRun(t, "ip", "netns", "add", ns.Name)
	Cleanup(t, "delete netns "+ns.Name, func(context.Context) error {
		return RunErr("ip", "netns", "del", ns.Name)
	})
	ns.MustRun(t, "ip", "link", "set", "lo", "up")
	return ns
}

// Path is the namespace's bind mount, what nsenter --net and CNI take.
func (ns *Netns) Path() string { return "/var/run/netns/" + ns.Name }

// Command returns a command that runs name inside the namespace. Only the
// network namespace changes (nsenter --net, unlike `ip netns exec`, keeps
// the host's mounts), so mounts it makes are visible to the test.
func (ns *Netns) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + ns.Path(), "--", name}, args...)...)
}

// MustRun runs a command inside the namespace and returns its output,
// failing the test with everything it printed if it fails.
func (ns *Netns) MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	return MustRun(t, "nsenter", append([]string{"--net=" + ns.Path(), "--", name}, args...)...)
}

// LinkNetns joins two namespaces with a veth pair named ifName at both
// ends and gives each end its address (CIDR notation). The pair goes with
// its namespaces.
func LinkNetns(t testing.TB, a *Netns, aAddr string, b *Netns, bAddr, ifName string) {
	t.Helper()
	MustRun(t, "ip", "link", "add", ifName, "netns", a.Name, "type", "veth", "peer", "name", ifName, "netns", b.Name)
	for ns, addr := range map[*Netns]string{a: aAddr, b: bAddr} {
		ns.MustRun(t, "ip", "addr", "add", addr, "dev", ifName)
		ns.MustRun(t, "ip", "link", "set", ifName, "up")
	}
}

// MustRun runs a command and returns its combined output, failing the test
// with the command line and everything it printed if it fails.
func MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// RunErr runs a command for a cleanup step and returns an error that
// carries the command line and its output.
func RunErr(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
