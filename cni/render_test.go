package cni

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/containernetworking/cni/libcni"
)

func render(t *testing.T, cfg Config) (*libcni.NetworkConfigList, []byte) {
	t.Helper()
	cfg = cfg.withDefaults()
	nw, err := cfg.parseNetwork()
	if err != nil {
		t.Fatal(err)
	}
	data, err := renderConflist(cfg, nw)
	if err != nil {
		t.Fatal(err)
	}
	list, err := libcni.NetworkConfFromBytes(data)
	if err != nil {
		t.Fatalf("libcni cannot parse the rendered conflist: %v\n%s", err, data)
	}
	return list, data
}

func pluginTypes(list *libcni.NetworkConfigList) []string {
	var types []string
	for _, plugin := range list.Plugins {
		types = append(types, plugin.Network.Type)
	}
	return types
}

func TestRenderDefaultConflist(t *testing.T) {
	list, _ := render(t, Config{})
	if list.Name != "minikubelet" || list.CNIVersion != "1.0.0" {
		t.Fatalf("name %q version %q", list.Name, list.CNIVersion)
	}
	if got := pluginTypes(list); len(got) != 2 || got[0] != "bridge" || got[1] != "portmap" {
		t.Fatalf("plugins %v, want [bridge portmap]", got)
	}
	var bridge struct {
		Bridge      string `json:"bridge"`
		IsGateway   bool   `json:"isGateway"`
		IPMasq      *bool  `json:"ipMasq"`
		HairpinMode bool   `json:"hairpinMode"`
		IPAM        struct {
			Type    string                `json:"type"`
			Ranges  [][]map[string]string `json:"ranges"`
			Routes  []map[string]string   `json:"routes"`
			DataDir *string               `json:"dataDir"`
		} `json:"ipam"`
	}
	if err := json.Unmarshal(list.Plugins[0].Bytes, &bridge); err != nil {
		t.Fatal(err)
	}
	if bridge.Bridge != "mkbr0" || !bridge.IsGateway || !bridge.HairpinMode {
		t.Errorf("bridge plugin %+v", bridge)
	}
	if bridge.IPMasq == nil || *bridge.IPMasq {
		t.Errorf("ipMasq must be explicitly false (our own rule excludes the cluster CIDR)")
	}
	if bridge.IPAM.Type != "host-local" || bridge.IPAM.Ranges[0][0]["subnet"] != "10.88.0.0/16" {
		t.Errorf("ipam %+v", bridge.IPAM)
	}
	if len(bridge.IPAM.Routes) != 1 || bridge.IPAM.Routes[0]["dst"] != "0.0.0.0/0" {
		t.Errorf("ipam routes %v, want a default route", bridge.IPAM.Routes)
	}
	if bridge.IPAM.DataDir != nil {
		t.Errorf("dataDir %q set although host-local's default was asked for", *bridge.IPAM.DataDir)
	}
	if !list.Plugins[1].Network.Capabilities["portMappings"] {
		t.Errorf("portmap lacks the portMappings capability")
	}
}

func TestRenderHonoursSettings(t *testing.T) {
	list, _ := render(t, Config{PodCIDR: "10.77.3.9/24", BridgeName: "br-test", DataDir: "/tmp/ipam", Bandwidth: true, Firewall: true})
	if got := pluginTypes(list); len(got) != 4 || got[2] != "bandwidth" || got[3] != "firewall" {
		t.Fatalf("plugins %v, want [bridge portmap bandwidth firewall]", got)
	}
	if !list.Plugins[2].Network.Capabilities["bandwidth"] {
		t.Errorf("bandwidth lacks its capability")
	}
	var bridge struct {
		Bridge string `json:"bridge"`
		IPAM   struct {
			Ranges  [][]map[string]string `json:"ranges"`
			DataDir string                `json:"dataDir"`
		} `json:"ipam"`
	}
	if err := json.Unmarshal(list.Plugins[0].Bytes, &bridge); err != nil {
		t.Fatal(err)
	}
	// The host bits of the flag value are dropped: host-local wants the network address.
	if bridge.Bridge != "br-test" || bridge.IPAM.DataDir != "/tmp/ipam" || bridge.IPAM.Ranges[0][0]["subnet"] != "10.77.3.0/24" {
		t.Errorf("got %+v", bridge)
	}
}

func TestRenderIPv6DefaultRoute(t *testing.T) {
	list, _ := render(t, Config{PodCIDR: "fd00:88::/64"})
	var bridge struct {
		IPAM struct {
			Routes []map[string]string `json:"routes"`
		} `json:"ipam"`
	}
	if err := json.Unmarshal(list.Plugins[0].Bytes, &bridge); err != nil {
		t.Fatal(err)
	}
	if bridge.IPAM.Routes[0]["dst"] != "::/0" {
		t.Fatalf("routes %v", bridge.IPAM.Routes)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	_, first := render(t, Config{Bandwidth: true})
	for range 20 {
		if _, again := render(t, Config{Bandwidth: true}); !bytes.Equal(first, again) {
			t.Fatalf("rendering twice differs:\n%s\n%s", first, again)
		}
	}
}
