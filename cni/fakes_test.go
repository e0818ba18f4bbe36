package cni

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/version"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// fakeExec stands in for plugin binaries. DEL of the bridge plugin releases
// the container's host-local allocations the way the real plugin's IPAM
// call does, so tests can assert on the files a user would see.
type fakeExec struct {
	mu        sync.Mutex
	installed []string
	versions  []string
	hostLocal string // host-local network directory DEL releases from
	calls     []pluginCall
}

type pluginCall struct {
	plugin, command, containerID, ifName, netns string
	stdin                                       []byte
}

func newFakeExec(hostLocalDir string) *fakeExec {
	return &fakeExec{
		installed: []string{"bridge", "host-local", "portmap", "bandwidth", "firewall"},
		versions:  []string{"0.3.1", "0.4.0", "1.0.0"},
		hostLocal: hostLocalDir,
	}
}

func (f *fakeExec) FindInPath(plugin string, paths []string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if slices.Contains(f.installed, plugin) {
		return "/fake/" + plugin, nil
	}
	return "", fmt.Errorf("failed to find plugin %q in path %s", plugin, paths)
}

func (f *fakeExec) Decode(data []byte) (version.PluginInfo, error) {
	return (&version.PluginDecoder{}).Decode(data)
}

func (f *fakeExec) ExecPlugin(_ context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	env := map[string]string{}
	for _, kv := range environ {
		key, value, _ := strings.Cut(kv, "=")
		env[key] = value
	}
	call := pluginCall{plugin: filepath.Base(pluginPath), command: env["CNI_COMMAND"],
		containerID: env["CNI_CONTAINERID"], ifName: env["CNI_IFNAME"], netns: env["CNI_NETNS"], stdin: stdin}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	switch call.command {
	case "VERSION":
		return json.Marshal(map[string]any{"cniVersion": "1.0.0", "supportedVersions": f.versions})
	case "DEL":
		if call.plugin == "bridge" {
			return nil, f.releaseHostLocal(call.containerID, call.ifName)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("fake plugin: unexpected command %q", call.command)
}

func (f *fakeExec) releaseHostLocal(containerID, ifName string) error {
	entries, err := os.ReadDir(f.hostLocal)
	if err != nil {
		return nil
	}
	for _, entry := range entries {
		path := filepath.Join(f.hostLocal, entry.Name())
		content, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		id, ifc := parseAllocation(string(content))
		if id == containerID && ifc == ifName {
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *fakeExec) callsOf(command string) []pluginCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []pluginCall
	for _, call := range f.calls {
		if call.command == command {
			out = append(out, call)
		}
	}
	return out
}

// fakeSandboxes is a runtime whose sandbox list the test controls. beforeList
// runs inside ListPodSandbox to simulate what happens concurrently.
type fakeSandboxes struct {
	mu         sync.Mutex
	ids        []string
	err        error
	lists      int
	beforeList func()
}

func (f *fakeSandboxes) ListPodSandbox(ctx context.Context, _ *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, fmt.Errorf("ListPodSandbox called without a deadline")
	}
	if f.beforeList != nil {
		f.beforeList()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if f.err != nil {
		return nil, f.err
	}
	var out []*runtimeapi.PodSandbox
	for _, id := range f.ids {
		// NotReady sandboxes still own their address until StopPodSandbox.
		out = append(out, &runtimeapi.PodSandbox{Id: id, State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY})
	}
	return out, nil
}

func newTestLogger(t testing.TB) (*slog.Logger, *testutil.SyncBuffer) {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), logs
}

// writeAllocation creates a host-local allocation file aged by age.
func writeAllocation(t testing.TB, dir, ip, containerID string, age time.Duration) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ip)
	if err := os.WriteFile(path, []byte(containerID+"\r\neth0"), 0o644); err != nil {
		t.Fatal(err)
	}
	setAge(t, path, age)
}

// writeCacheEntry creates a libcni result cache entry in the format libcni
// writes after ADD.
func writeCacheEntry(t testing.TB, cacheDir, network, containerID, ip string, conflist []byte, age time.Duration) {
	t.Helper()
	entry := map[string]any{
		"kind":        "cniCacheV1",
		"containerId": containerID,
		"config":      conflist,
		"ifName":      "eth0",
		"networkName": network,
		"netns":       "/var/run/netns/cni-" + containerID,
		"result": map[string]any{
			"cniVersion": "1.0.0",
			"ips":        []map[string]any{{"address": ip + "/16", "gateway": "10.88.0.1"}},
		},
	}
	data, err := json.Marshal(entry)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cacheDir, "results")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, network+"-"+containerID+"-eth0")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	setAge(t, path, age)
}

func setAge(t testing.TB, path string, age time.Duration) {
	t.Helper()
	when := time.Now().Add(-age)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
