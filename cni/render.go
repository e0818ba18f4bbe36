package cni

import (
	"encoding/json"
	"fmt"
	"net"
)

// CNIVersion is the spec version of the rendered conflist. Debian 12's
// plugins (1.1.1) support up to 1.0.0, so CNI 1.1 GC is not available and
// leaked addresses are released with DEL.
const CNIVersion = "1.0.0"

type conflist struct {
	CNIVersion string `json:"cniVersion"`
	Name       string `json:"name"`
	Plugins    []any  `json:"plugins"`
}

// bridgePlugin leaves ipMasq off on purpose: the plugin masquerades
// everything that leaves the pod CIDR, including traffic to other nodes'
// pods, and Debian's version has no exclusion list. The Manager installs its
// own rule that skips the cluster CIDR instead (see masquerade.go).
type bridgePlugin struct {
	Type        string    `json:"type"`
	Bridge      string    `json:"bridge"`
	IsGateway   bool      `json:"isGateway"`
	IPMasq      bool      `json:"ipMasq"`
	HairpinMode bool      `json:"hairpinMode"`
	IPAM        hostLocal `json:"ipam"`
}

type hostLocal struct {
	Type    string          `json:"type"`
	Ranges  [][]ipRange     `json:"ranges"`
	Routes  []routeToPlugin `json:"routes"`
	DataDir string          `json:"dataDir,omitempty"`
}

type ipRange struct {
	Subnet string `json:"subnet"`
}

type routeToPlugin struct {
	Dst string `json:"dst"`
}

type capabilityPlugin struct {
	Type         string          `json:"type"`
	Capabilities map[string]bool `json:"capabilities,omitempty"`
}

// renderConflist returns the conflist for cfg and its parsed network. The
// output is deterministic so an unchanged config is never rewritten.
func renderConflist(cfg Config, nw network) ([]byte, error) {
	plugins := []any{
		bridgePlugin{
			Type:        "bridge",
			Bridge:      cfg.BridgeName,
			IsGateway:   true,
			IPMasq:      false,
			HairpinMode: true,
			IPAM: hostLocal{
				Type:    "host-local",
				Ranges:  [][]ipRange{{{Subnet: nw.podCIDR.String()}}},
				Routes:  []routeToPlugin{{Dst: defaultRoute(nw.podCIDR)}},
				DataDir: cfg.DataDir,
			},
		},
		capabilityPlugin{Type: "portmap", Capabilities: map[string]bool{"portMappings": true}},
	}
	if cfg.Bandwidth {
		plugins = append(plugins, capabilityPlugin{Type: "bandwidth", Capabilities: map[string]bool{"bandwidth": true}})
	}
	if cfg.Firewall {
		plugins = append(plugins, capabilityPlugin{Type: "firewall"})
	}
	data, err := json.MarshalIndent(conflist{CNIVersion: CNIVersion, Name: NetworkName, Plugins: plugins}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding CNI conflist: %w", err)
	}
	return append(data, '\n'), nil
}

// defaultRoute is the all-addresses destination of the CIDR's family.
func defaultRoute(cidr *net.IPNet) string {
	if cidr.IP.To4() != nil {
		return "0.0.0.0/0"
	}
	return "::/0"
}
