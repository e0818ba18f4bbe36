package cni

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// fakeIptables keeps a nat table as `iptables -S` lines per chain and
// answers the few commands masquerade uses.
type fakeIptables struct {
	chains  map[string][]string
	calls   []string
	restore string
}

func (f *fakeIptables) run(_ context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	if strings.HasSuffix(name, "-restore") {
		f.restore = string(stdin)
		f.chains[masqChain] = nil
		for line := range strings.SplitSeq(string(stdin), "\n") {
			if strings.HasPrefix(line, "-A "+masqChain) {
				f.chains[masqChain] = append(f.chains[masqChain], line)
			}
		}
		return nil, nil
	}
	// args: -w -t nat OP CHAIN [rule...]
	op, chain, rule := args[3], args[4], strings.Join(args[5:], " ")
	lines, ok := f.chains[chain]
	switch op {
	case "-S":
		if !ok {
			return nil, errors.New("exit status 1: chain does not exist")
		}
		return []byte("-N " + chain + "\n" + strings.Join(lines, "\n") + "\n"), nil
	case "-C":
		for _, line := range lines {
			if line == "-A "+chain+" "+rule {
				return nil, nil
			}
		}
		return nil, errors.New("exit status 1: rule does not exist")
	case "-A":
		f.chains[chain] = append(lines, "-A "+chain+" "+rule)
		return nil, nil
	}
	return nil, errors.New("unexpected iptables call")
}

func newMasquerade(t *testing.T, runner commandRunner, pod, cluster string) *masquerade {
	t.Helper()
	_, podCIDR, _ := net.ParseCIDR(pod)
	_, clusterCIDR, _ := net.ParseCIDR(cluster)
	return &masquerade{runner: runner, podCIDR: podCIDR, clusterCIDR: clusterCIDR}
}

func TestMasqueradeInstallsChainOnceAndRepairs(t *testing.T) {
	table := &fakeIptables{chains: map[string][]string{"POSTROUTING": nil}}
	m := newMasquerade(t, table, "10.88.1.0/24", "10.88.0.0/16")

	changed, err := m.ensure(context.Background())
	if err != nil || !changed {
		t.Fatalf("first ensure: changed %v err %v", changed, err)
	}
	wantChain := []string{
		"-A MINIKUBELET-MASQ ! -s 10.88.1.0/24 -j RETURN",
		"-A MINIKUBELET-MASQ -d 10.88.0.0/16 -j RETURN",
		"-A MINIKUBELET-MASQ -d 224.0.0.0/4 -j RETURN",
		"-A MINIKUBELET-MASQ -j MASQUERADE",
	}
	if strings.Join(table.chains[masqChain], "\n") != strings.Join(wantChain, "\n") {
		t.Fatalf("chain:\n%s", strings.Join(table.chains[masqChain], "\n"))
	}
	if !strings.HasPrefix(table.restore, "*nat\n:MINIKUBELET-MASQ - [0:0]\n") || !strings.HasSuffix(table.restore, "COMMIT\n") {
		t.Fatalf("restore input:\n%s", table.restore)
	}
	if len(table.chains["POSTROUTING"]) != 1 {
		t.Fatalf("POSTROUTING: %v", table.chains["POSTROUTING"])
	}

	calls := len(table.calls)
	changed, err = m.ensure(context.Background())
	if err != nil || changed {
		t.Fatalf("intact rules: changed %v err %v", changed, err)
	}
	if len(table.calls)-calls != 2 {
		t.Fatalf("intact rules took %d commands, want a list and a check", len(table.calls)-calls)
	}

	table.chains[masqChain] = table.chains[masqChain][1:] // someone deleted a rule
	table.chains["POSTROUTING"] = nil                     // and flushed the jump
	changed, err = m.ensure(context.Background())
	if err != nil || !changed || len(table.chains[masqChain]) != 4 || len(table.chains["POSTROUTING"]) != 1 {
		t.Fatalf("repair: changed %v err %v chains %v", changed, err, table.chains)
	}
}

func TestMasqueradeUsesIp6tablesForIPv6(t *testing.T) {
	table := &fakeIptables{chains: map[string][]string{"POSTROUTING": nil}}
	m := newMasquerade(t, table, "fd00:88:1::/64", "fd00:88::/48")
	if _, err := m.ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(table.calls[0], "ip6tables ") || !strings.Contains(table.restore, "-d ff00::/8 -j RETURN") {
		t.Fatalf("calls %v\n%s", table.calls, table.restore)
	}
}

type failingRunner struct{}

func (failingRunner) run(context.Context, []byte, string, ...string) ([]byte, error) {
	return nil, errors.New("iptables is not installed")
}

func TestMasqueradeReportsFailure(t *testing.T) {
	m := newMasquerade(t, failingRunner{}, "10.88.0.0/16", "10.88.0.0/16")
	_, err := m.ensure(context.Background())
	if err == nil || !strings.Contains(err.Error(), "writing masquerade chain MINIKUBELET-MASQ") {
		t.Fatalf("got %v", err)
	}
}
