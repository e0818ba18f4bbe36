package cni

import (
	"encoding/json"
	"net"
	"path/filepath"
)

// networkOwner tells this manager's addresses from those of another runtime
// on the same host. libcni's result cache (/var/lib/cni/results) is
// host-wide and containerd 1.6 cannot move it, and host-local's default
// data dir is host-wide too, so runtimes side by side (a second containerd,
// one test bed per runtime, nodes in network namespaces) all leave entries
// of network NetworkName there. Releasing one of theirs because our runtime
// does not list its sandbox would cut a live pod of theirs off.
type networkOwner struct {
	bridge  string
	dataDir string // cleaned; "" means host-local's default
	podCIDR *net.IPNet
}

func newNetworkOwner(cfg Config, nw network) networkOwner {
	return networkOwner{bridge: cfg.BridgeName, dataDir: cleanDataDir(cfg.DataDir), podCIDR: nw.podCIDR}
}

// cachedConflist is the part of a cached conflist that says whose it is.
type cachedConflist struct {
	Plugins []struct {
		Type   string `json:"type"`
		Bridge string `json:"bridge"`
		IPAM   struct {
			DataDir string `json:"dataDir"`
		} `json:"ipam"`
	} `json:"plugins"`
}

// ownsConfig reports whether a cached conflist attached pods to our bridge
// with our host-local data dir. The pod CIDR is not compared, so entries
// made before a --pod-cidr change are still ours to release. A config that
// cannot be read is nobody's we can prove, so it is left alone.
func (o networkOwner) ownsConfig(data []byte) bool {
	var list cachedConflist
	if err := json.Unmarshal(data, &list); err != nil {
		return false
	}
	for _, plugin := range list.Plugins {
		if plugin.Type == "bridge" {
			return plugin.Bridge == o.bridge && cleanDataDir(plugin.IPAM.DataDir) == o.dataDir
		}
	}
	return false
}

// ownsIP reports whether a host-local allocation without a cache entry is
// ours: with no config to compare, only its address tells, and another
// runtime sharing the data dir has its own pod CIDR.
func (o networkOwner) ownsIP(ip string) bool {
	parsed := net.ParseIP(ip)
	return parsed != nil && o.podCIDR.Contains(parsed)
}

func cleanDataDir(dir string) string {
	if dir == "" || filepath.Clean(dir) == DefaultHostLocalDataDir {
		return ""
	}
	return filepath.Clean(dir)
}
