package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/minikubelet/minikubelet/cri/containerdconfig"
)

func runContainerdConfig(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"containerd-config"}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestContainerdConfigFlagsFillEveryField(t *testing.T) {
	want := containerdconfig.Config{
		Format:  containerdconfig.FormatV3,
		Comment: []string{"Written by a test, with commas, in it.", "second line"},
		Root:    "/r", State: "/s", GRPCAddress: "/g.sock", TTRPCAddress: "/t.sock", OptDir: "/o",
		ShimSocketDir: "/shims", DisableUnusedSnapshotters: true, DisableNRI: true,
		SandboxImage: "pause:1", RegistryConfigDir: "/certs.d", RestrictOOMScoreAdj: true, NetNSUnderState: true,
		StreamServerAddress: "127.0.0.1", StreamServerPort: "0", RuncRoot: "/runc", ShimRuntimePath: "/bin/shim",
		CNIBinDirs: []string{"/cni/a", "/cni/b"}, CNIConfDir: "/net.d",
	}
	got, err := runContainerdConfig(t, "--format", "3",
		"--comment", want.Comment[0], "--comment", want.Comment[1],
		"--root", "/r", "--state", "/s", "--grpc-address", "/g.sock", "--ttrpc-address", "/t.sock", "--opt-dir", "/o",
		"--shim-socket-dir", "/shims", "--disable-unused-snapshotters", "--disable-nri",
		"--sandbox-image", "pause:1", "--registry-config-dir", "/certs.d", "--restrict-oom-score-adj", "--netns-under-state",
		"--stream-server-address", "127.0.0.1", "--stream-server-port", "0", "--runc-root", "/runc", "--shim-runtime-path", "/bin/shim",
		"--cni-bin-dir", "/cni/a", "--cni-bin-dir", "/cni/b", "--cni-conf-dir", "/net.d")
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := containerdconfig.Render(want)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(rendered) {
		t.Errorf("the flags did not fill the fields they name:\ngot:\n%s\nwant:\n%s", got, rendered)
	}
}

func TestContainerdConfigNamesTheMissingField(t *testing.T) {
	_, err := runContainerdConfig(t, "--root", "/r", "--state", "/s", "--grpc-address", "/g.sock",
		"--cni-bin-dir", "/cni", "--cni-conf-dir", "/net.d")
	if err == nil || !strings.Contains(err.Error(), "SandboxImage: required") {
		t.Fatalf("error %v, want one naming SandboxImage", err)
	}
}

func TestContainerdConfigIsHiddenFromTheCommandList(t *testing.T) {
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "containerd-config") {
		t.Errorf("containerd-config is for the test bed's scripts, yet listed:\n%s", out.String())
	}
}
