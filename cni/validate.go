package cni

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// PluginNotFoundError reports a plugin binary that is in none of the search
// directories; the runtime would fail every RunPodSandbox without it.
type PluginNotFoundError struct {
	Plugin string
	Dirs   []string
}

// Error names the plugin, the directories searched and the fix.
func (e *PluginNotFoundError) Error() string {
	return fmt.Sprintf("CNI plugin %q not found in %s: install containernetworking-plugins or set --cni-bin-dir",
		e.Plugin, strings.Join(e.Dirs, ", "))
}

// pluginFinder is the part of libcni's invoke.Exec used to locate plugins.
type pluginFinder interface {
	FindInPath(plugin string, paths []string) (string, error)
}

// validateConflist parses data the way the runtime will and checks that every
// binary it names (chained plugins and the IPAM plugin) is installed and
// speaks the list's CNI version.
func validateConflist(ctx context.Context, cni libcni.CNI, finder pluginFinder, binDirs []string, data []byte) (*libcni.NetworkConfigList, error) {
	list, err := libcni.NetworkConfFromBytes(data)
	if err != nil {
		return nil, fmt.Errorf("parsing rendered CNI conflist: %w", err)
	}
	for _, binary := range pluginBinaries(list) {
		if _, err := finder.FindInPath(binary, binDirs); err != nil {
			return nil, &PluginNotFoundError{Plugin: binary, Dirs: binDirs}
		}
	}
	if _, err := cni.ValidateNetworkList(ctx, list); err != nil {
		return nil, fmt.Errorf("validating CNI plugins in %s against CNI version %s: %w", strings.Join(binDirs, ", "), list.CNIVersion, err)
	}
	for _, plugin := range list.Plugins {
		if ipam := plugin.Network.IPAM.Type; ipam != "" {
			if err := checkVersion(ctx, cni, ipam, list.CNIVersion); err != nil {
				return nil, err
			}
		}
	}
	return list, nil
}

// pluginBinaries names every executable the list needs, in order, once.
func pluginBinaries(list *libcni.NetworkConfigList) []string {
	var binaries []string
	for _, plugin := range list.Plugins {
		for _, name := range []string{plugin.Network.Type, plugin.Network.IPAM.Type} {
			if name != "" && !slices.Contains(binaries, name) {
				binaries = append(binaries, name)
			}
		}
	}
	return binaries
}

// checkVersion covers the IPAM plugin, which ValidateNetworkList skips
// because it is run by its parent plugin rather than by libcni.
func checkVersion(ctx context.Context, cni libcni.CNI, plugin, version string) error {
	info, err := cni.GetVersionInfo(ctx, plugin)
	if err != nil {
		return fmt.Errorf("asking CNI plugin %q for its supported versions: %w", plugin, err)
	}
	if !slices.Contains(info.SupportedVersions(), version) {
		return fmt.Errorf("CNI plugin %q supports versions %s, not %s: upgrade containernetworking-plugins",
			plugin, strings.Join(info.SupportedVersions(), ", "), version)
	}
	return nil
}
