package cni

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
)

// fakeIptables keeps a nat table as `iptables -S` lines per chain and
// answers the commands masquerade uses, iptables-restore included. Several
// masquerade instances may share one, as agents share a host.
type fakeIptables struct {
	chains  map[string][]string
	calls   []string
	restore string
}

func newFakeIptables() *fakeIptables {
	return &fakeIptables{chains: map[string][]string{"POSTROUTING": nil}}
}

func (f *fakeIptables) run(_ context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	if strings.HasSuffix(name, "-restore") {
		f.restore = string(stdin)
		return nil, f.apply(string(stdin))
	}
	// args: -w -t nat OP CHAIN [rule...]
	op, chain, rule := args[3], args[4], strings.Join(args[5:], " ")
	lines, ok := f.chains[chain]
	switch op {
	case "-S":
		if !ok {
			return nil, errors.New("exit status 1: chain does not exist")
		}
		out := "-N " + chain + "\n"
		if chain == "POSTROUTING" {
			out = "-P POSTROUTING ACCEPT\n"
		}
		return []byte(out + strings.Join(lines, "\n") + "\n"), nil
	case "-C":
		if !slices.Contains(lines, "-A "+chain+" "+rule) {
			return nil, errors.New("exit status 1: rule does not exist")
		}
		return nil, nil
	case "-A":
		f.chains[chain] = append(lines, "-A "+chain+" "+rule)
		return nil, nil
	}
	return nil, errors.New("unexpected iptables call")
}

// apply runs an iptables-restore --noflush input: a declared chain is
// created or flushed, -A appends, -D deletes, -F flushes, -X removes.
func (f *fakeIptables) apply(input string) error {
	for line := range strings.SplitSeq(input, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] == "*nat" || fields[0] == "COMMIT" {
			continue
		}
		if chain, ok := strings.CutPrefix(fields[0], ":"); ok {
			f.chains[chain] = nil
			continue
		}
		chain := fields[1]
		switch fields[0] {
		case "-A":
			f.chains[chain] = append(f.chains[chain], line)
		case "-D":
			rule := "-A" + strings.TrimPrefix(line, "-D")
			i := slices.Index(f.chains[chain], rule)
			if i < 0 {
				return errors.New("restore: no rule " + rule)
			}
			f.chains[chain] = slices.Delete(f.chains[chain], i, i+1)
		case "-F":
			f.chains[chain] = nil
		case "-X":
			for _, rules := range f.chains {
				for _, rule := range rules {
					if strings.HasSuffix(rule, " -j "+chain) {
						return errors.New("restore: chain " + chain + " is still referenced")
					}
				}
			}
			delete(f.chains, chain)
		default:
			return errors.New("restore: unexpected line " + line)
		}
	}
	return nil
}

func testMasquerade(t *testing.T, runner commandRunner, bridge, pod, cluster string) *masquerade {
	t.Helper()
	_, podCIDR, err := net.ParseCIDR(pod)
	if err != nil {
		t.Fatal(err)
	}
	_, clusterCIDR, err := net.ParseCIDR(cluster)
	if err != nil {
		t.Fatal(err)
	}
	return newMasquerade(runner, bridge, podCIDR, clusterCIDR)
}

func TestMasqueradeInstallsChainOnceAndRepairs(t *testing.T) {
	table := newFakeIptables()
	m := testMasquerade(t, table, "mkbr0", "10.88.1.0/24", "10.88.0.0/16")

	changed, err := m.ensure(context.Background())
	if err != nil || !changed {
		t.Fatalf("first ensure: changed %v err %v", changed, err)
	}
	wantChain := []string{
		"-A MKLT-MASQ-mkbr0 ! -s 10.88.1.0/24 -j RETURN",
		"-A MKLT-MASQ-mkbr0 -d 10.88.0.0/16 -j RETURN",
		"-A MKLT-MASQ-mkbr0 -d 224.0.0.0/4 -j RETURN",
		"-A MKLT-MASQ-mkbr0 -j MASQUERADE",
	}
	if !slices.Equal(table.chains["MKLT-MASQ-mkbr0"], wantChain) {
		t.Fatalf("chain:\n%s", strings.Join(table.chains["MKLT-MASQ-mkbr0"], "\n"))
	}
	if !strings.HasPrefix(table.restore, "*nat\n:MKLT-MASQ-mkbr0 - [0:0]\n") || !strings.HasSuffix(table.restore, "COMMIT\n") {
		t.Fatalf("restore input:\n%s", table.restore)
	}
	wantJump := "-A POSTROUTING -m comment --comment minikubelet-masquerade-mkbr0 -j MKLT-MASQ-mkbr0"
	if !slices.Equal(table.chains["POSTROUTING"], []string{wantJump}) {
		t.Fatalf("POSTROUTING: %v", table.chains["POSTROUTING"])
	}

	calls := len(table.calls)
	changed, err = m.ensure(context.Background())
	if err != nil || changed {
		t.Fatalf("intact rules: changed %v err %v", changed, err)
	}
	if len(table.calls)-calls != 2 {
		t.Fatalf("intact rules took %d commands, want a list and a check: %v", len(table.calls)-calls, table.calls[calls:])
	}

	table.chains["MKLT-MASQ-mkbr0"] = table.chains["MKLT-MASQ-mkbr0"][1:] // someone deleted a rule
	table.chains["POSTROUTING"] = nil                                     // and flushed the jump
	changed, err = m.ensure(context.Background())
	if err != nil || !changed || !slices.Equal(table.chains["MKLT-MASQ-mkbr0"], wantChain) || len(table.chains["POSTROUTING"]) != 1 {
		t.Fatalf("repair: changed %v err %v chains %v", changed, err, table.chains)
	}
}

// Two agents on one host, each with its own bridge and pod CIDR, must
// leave each other's chain alone: with one shared chain each rewrote the
// other's rules on every check.
func TestMasqueradeTwoBridgesNeverTouchEachOther(t *testing.T) {
	table := newFakeIptables()
	first := testMasquerade(t, table, "mkbr0", "10.88.0.0/16", "10.88.0.0/16")
	second := testMasquerade(t, table, "mkbr1", "10.89.0.0/16", "10.89.0.0/16")
	for _, m := range []*masquerade{first, second} {
		if _, err := m.ensure(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	installed := len(table.calls)
	for round := range 3 {
		for _, m := range []*masquerade{first, second} {
			before := len(table.calls)
			changed, err := m.ensure(context.Background())
			if err != nil || changed {
				t.Fatalf("round %d, %s: changed %v err %v (the other agent's chain disturbed ours)", round, m.chain, changed, err)
			}
			for _, call := range table.calls[before:] {
				if other := otherChain(m, first, second); strings.Contains(call, other) {
					t.Fatalf("%s ran %q, which touches %s", m.chain, call, other)
				}
			}
		}
	}
	for _, call := range table.calls[installed:] {
		if strings.Contains(call, "-restore") || strings.Contains(call, " -A ") {
			t.Fatalf("intact chains were rewritten: %q", call)
		}
	}
	if !strings.Contains(table.chains["MKLT-MASQ-mkbr0"][0], "! -s 10.88.0.0/16") || !strings.Contains(table.chains["MKLT-MASQ-mkbr1"][0], "! -s 10.89.0.0/16") {
		t.Fatalf("chains hold the wrong pod CIDRs: %v", table.chains)
	}
	if len(table.chains["POSTROUTING"]) != 2 {
		t.Fatalf("want one jump per bridge: %v", table.chains["POSTROUTING"])
	}
}

func otherChain(m, first, second *masquerade) string {
	if m == first {
		return second.chain
	}
	return first.chain
}

// An upgraded agent removes the earlier versions' shared chain and its
// jump once, leaving other POSTROUTING rules alone.
func TestMasqueradeRemovesTheOldSharedChainOnce(t *testing.T) {
	table := newFakeIptables()
	foreign := "-A POSTROUTING -s 172.17.0.0/16 -j MASQUERADE"
	table.chains["POSTROUTING"] = []string{foreign, "-A POSTROUTING -m comment --comment minikubelet-masquerade -j MINIKUBELET-MASQ"}
	table.chains["MINIKUBELET-MASQ"] = []string{"-A MINIKUBELET-MASQ -j MASQUERADE"}
	m := testMasquerade(t, table, "mkbr0", "10.88.0.0/16", "10.88.0.0/16")

	if changed, err := m.ensure(context.Background()); err != nil || !changed {
		t.Fatalf("first ensure: changed %v err %v", changed, err)
	}
	if _, ok := table.chains["MINIKUBELET-MASQ"]; ok {
		t.Fatalf("old chain still there: %v", table.chains)
	}
	want := []string{foreign, "-A POSTROUTING -m comment --comment minikubelet-masquerade-mkbr0 -j MKLT-MASQ-mkbr0"}
	if !slices.Equal(table.chains["POSTROUTING"], want) {
		t.Fatalf("POSTROUTING:\n%s", strings.Join(table.chains["POSTROUTING"], "\n"))
	}

	before := len(table.calls)
	if _, err := m.ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, call := range table.calls[before:] {
		if strings.Contains(call, "MINIKUBELET-MASQ") {
			t.Fatalf("looked for the old chain again: %q", call)
		}
	}
}

func TestMasqueradeUsesIp6tablesForIPv6(t *testing.T) {
	table := newFakeIptables()
	m := testMasquerade(t, table, "mkbr0", "fd00:88:1::/64", "fd00:88::/48")
	if _, err := m.ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, call := range table.calls {
		if !strings.HasPrefix(call, "ip6tables") {
			t.Fatalf("IPv4 command for an IPv6 pod CIDR: %q", call)
		}
	}
	if !strings.Contains(table.restore, "-d ff00::/8 -j RETURN") {
		t.Fatalf("restore input:\n%s", table.restore)
	}
}

type failingRunner struct{}

func (failingRunner) run(context.Context, []byte, string, ...string) ([]byte, error) {
	return nil, errors.New("iptables is not installed")
}

func TestMasqueradeReportsFailure(t *testing.T) {
	m := testMasquerade(t, failingRunner{}, "mkbr0", "10.88.0.0/16", "10.88.0.0/16")
	_, err := m.ensure(context.Background())
	if err == nil || !strings.Contains(err.Error(), "writing masquerade chain MKLT-MASQ-mkbr0") {
		t.Fatalf("got %v", err)
	}
}

func TestCheckBridgeName(t *testing.T) {
	for _, name := range []string{"mkbr0", "br-test", "a", "cni_0.1", "abcdefghijklmno"} {
		if err := CheckBridgeName(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
		if chain := masqChainPrefix + name; len(chain) > 28 {
			t.Errorf("chain %s is longer than iptables' 28 characters", chain)
		}
	}
	for _, name := range []string{"", "abcdefghijklmnop", "-br", "br 0", "br/0", "br:0", "brü", `br"0`} {
		err := CheckBridgeName(name)
		if err == nil || !strings.Contains(err.Error(), "--bridge-name") {
			t.Errorf("%q: got %v, want an error naming --bridge-name", name, err)
		}
	}
}

func TestNewRefusesAnUnusableBridgeName(t *testing.T) {
	_, err := New(Config{BridgeName: "pods bridge"}, &fakeSandboxes{})
	if err == nil || !strings.Contains(err.Error(), `bridge name "pods bridge"`) {
		t.Fatalf("got %v", err)
	}
}
