package cni

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeBridge is a bridge in memory; readdress records what it was told.
type fakeBridge struct {
	current  bridgeState
	removed  []string
	added    string
	stateErr error
}

func (f *fakeBridge) state(string, int) (bridgeState, error) { return f.current, f.stateErr }

func (f *fakeBridge) readdress(_ string, remove []*net.IPNet, add *net.IPNet) error {
	for _, r := range remove {
		f.removed = append(f.removed, r.String())
	}
	f.added = add.String()
	return nil
}

func cidr(t *testing.T, s string) *net.IPNet {
	t.Helper()
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	n.IP = ip // keep the host part: bridge addresses are host addresses
	return n
}

func TestGatewayOf(t *testing.T) {
	for in, want := range map[string]string{
		"10.77.0.0/16":   "10.77.0.1/16",
		"10.88.1.0/24":   "10.88.1.1/24",
		"10.88.1.128/25": "10.88.1.129/25",
		"fd00:10::/64":   "fd00:10::1/64",
	} {
		_, n, _ := net.ParseCIDR(in)
		if got := gatewayOf(n).String(); got != want {
			t.Errorf("gatewayOf(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestPlanBridgeAddress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		addrs   []string
		ports   []string
		podCIDR string
		remove  []string
		refused bool
	}{
		{name: "no address yet", podCIDR: "10.77.0.0/16"},
		{name: "already the gateway", addrs: []string{"10.77.0.1/16"}, ports: []string{"veth1"}, podCIDR: "10.77.0.0/16"},
		{name: "an earlier range, no pod", addrs: []string{"10.88.0.1/16"}, podCIDR: "10.77.0.0/16", remove: []string{"10.88.0.1/16"}},
		{name: "the same range, another prefix", addrs: []string{"10.77.0.1/24"}, podCIDR: "10.77.0.0/16", remove: []string{"10.77.0.1/24"}},
		{name: "an earlier range, pods attached", addrs: []string{"10.88.0.1/16"}, ports: []string{"veth1"}, podCIDR: "10.77.0.0/16", refused: true},
		{name: "IPv6: link-local stays", addrs: []string{"fe80::1/64", "fd00:1::1/64"}, podCIDR: "fd00:2::/64"},
		{name: "IPv6: overlapping goes", addrs: []string{"fe80::1/64", "fd00:2::5/64"}, podCIDR: "fd00:2::/64", remove: []string{"fd00:2::5/64"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := bridgeState{exists: true, ports: tc.ports}
			for _, a := range tc.addrs {
				state.addrs = append(state.addrs, cidr(t, a))
			}
			_, podCIDR, _ := net.ParseCIDR(tc.podCIDR)
			remove, err := planBridgeAddress("mkbr0", state, podCIDR)
			var inUse *BridgeInUseError
			if tc.refused != errors.As(err, &inUse) {
				t.Fatalf("err = %v, want refused=%v", err, tc.refused)
			}
			var got []string
			for _, r := range remove {
				got = append(got, r.String())
			}
			if !reflect.DeepEqual(got, tc.remove) {
				t.Errorf("remove %v, want %v", got, tc.remove)
			}
		})
	}
}

// TestSetupReaddressesAnUnusedBridge: the bridge still carries the gateway
// of the range used before --pod-cidr changed and no pod is on it: Setup
// gives it the new range's gateway.
func TestSetupReaddressesAnUnusedBridge(t *testing.T) {
	f := newManagerFixture(t, time.Hour)
	f.bridge.current = bridgeState{exists: true, addrs: []*net.IPNet{cidr(t, "10.99.0.1/16")}}
	if err := f.manager.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.bridge.removed, []string{"10.99.0.1/16"}) || f.bridge.added != "10.88.0.1/16" {
		t.Fatalf("removed %v and added %q, want 10.99.0.1/16 replaced by 10.88.0.1/16", f.bridge.removed, f.bridge.added)
	}
	if !strings.Contains(f.logs.String(), "re-addressed the pod bridge") {
		t.Errorf("no log line for the change:\n%s", f.logs.String())
	}
}

// TestSetupRefusesToReaddressABridgePodsUse: pods of the old range are
// attached, so Setup refuses with one line naming the conflict and the
// fix, and writes nothing.
func TestSetupRefusesToReaddressABridgePodsUse(t *testing.T) {
	f := newManagerFixture(t, time.Hour)
	f.bridge.current = bridgeState{exists: true, addrs: []*net.IPNet{cidr(t, "10.99.0.1/16")}, ports: []string{"veth1a2b", "veth3c4d"}}
	err := f.manager.Setup(context.Background())
	var inUse *BridgeInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("Setup = %v, want a BridgeInUseError", err)
	}
	for _, want := range []string{"mkbr0", "10.99.0.1/16", "10.99.0.0/16", "--pod-cidr 10.88.0.0/16", "10.88.0.1/16",
		"2 attached: veth1a2b, veth3c4d", "keep --pod-cidr 10.99.0.0/16", "--bridge-name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %s", want, err)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("message is not one line: %q", err)
	}
	if f.bridge.added != "" || exists(filepath.Join(f.confDir, ConfFileName)) {
		t.Errorf("something was changed: bridge got %q, conflist written %v", f.bridge.added, exists(filepath.Join(f.confDir, ConfFileName)))
	}
}
