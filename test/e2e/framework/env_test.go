package framework

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain clears the runtime selection the e2e run was started with
// (make e2e RUNTIME=crio exports it): this package's own tests parse env
// files they write themselves and choose the runtime explicitly.
func TestMain(m *testing.M) {
	os.Unsetenv(RuntimeVar)
	os.Exit(m.Run())
}

func TestEnvFileForEachRuntime(t *testing.T) {
	for runtime, want := range map[string]string{
		"":            "test/testbed/env",
		"containerd":  "test/testbed/env",
		"containerd2": "test/testbed/env.containerd2",
		"crio":        "test/testbed/env.crio",
	} {
		if got, err := EnvFileFor(runtime); err != nil || got != want {
			t.Errorf("EnvFileFor(%q) = %q, %v; want %q", runtime, got, err, want)
		}
	}
	_, err := EnvFileFor("docker")
	if err == nil || !strings.Contains(err.Error(), RuntimeVar) || !strings.Contains(err.Error(), "containerd2") {
		t.Errorf("EnvFileFor(docker) = %v, want an error naming %s and the runtimes to choose from", err, RuntimeVar)
	}
}

// loadRuntimeEnvIn writes content as runtime's env file in a fresh
// repository and runs LoadEnv with that runtime selected.
func loadRuntimeEnvIn(t *testing.T, runtime string, content []byte) (*Env, *outcomeTB) {
	t.Setenv(RuntimeVar, runtime)
	file, err := EnvFileFor(runtime)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), []byte("module example\n"))
	// The default runtime's file is there too and must not be the one read.
	writeFile(t, filepath.Join(root, EnvFile), []byte(fullEnv))
	if content != nil {
		writeFile(t, filepath.Join(root, file), content)
	}
	t.Chdir(root)
	outcome := &outcomeTB{TB: t}
	var env *Env
	done := make(chan struct{})
	go func() {
		defer close(done)
		env = LoadEnv(outcome)
	}()
	<-done
	return env, outcome
}

const crioEnv = `export RUNTIME_ENDPOINT=unix:///run/minikubelet-testbed/runtimes/crio/crio.sock
export REGISTRY=127.0.0.1:5000
export KUBIA_IMAGE=127.0.0.1:5000/minikubelet/kubia:1.0
export PAUSE_IMAGE=127.0.0.1:5000/minikubelet/pause:3.10
export CNI_CONF_DIR=/var/lib/minikubelet-testbed/runtimes/crio/net.d
export CNI_BIN_DIR=/usr/lib/cni
export POD_CIDR=10.87.0.0/16
export BRIDGE_NAME=mkbr2
export CNI_CACHE_DIR=/var/lib/minikubelet-testbed/runtimes/crio/cni
export CNI_DATA_DIR=/var/lib/minikubelet-testbed/runtimes/crio/cni/networks
export CRICTL=/usr/local/bin/crictl
export RUNTIME=crio
export RUNTIME_LOG=/var/log/minikubelet-testbed/crio.log
`

func TestLoadEnvReadsTheSelectedRuntimesFile(t *testing.T) {
	env, outcome := loadRuntimeEnvIn(t, "crio", []byte(crioEnv))
	if outcome.failed != "" || outcome.skipped != "" {
		t.Fatalf("LoadEnv failed=%q skipped=%q", outcome.failed, outcome.skipped)
	}
	if env.Runtime != "crio" || env.RuntimeEndpoint != "unix:///run/minikubelet-testbed/runtimes/crio/crio.sock" ||
		env.BridgeName != "mkbr2" || env.RuntimeLog != "/var/log/minikubelet-testbed/crio.log" {
		t.Errorf("LoadEnv with %s=crio = %+v, want the crio file's values", RuntimeVar, *env)
	}
	want := []string{"--pod-cidr", "10.87.0.0/16", "--bridge-name", "mkbr2",
		"--cni-cache-dir", "/var/lib/minikubelet-testbed/runtimes/crio/cni",
		"--cni-data-dir", "/var/lib/minikubelet-testbed/runtimes/crio/cni/networks"}
	if got := env.NetworkArgs(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("NetworkArgs = %q, want %q", got, want)
	}
}

// The default runtime's env file names no bridge or CNI dirs: the agent's
// defaults are that runtime's, so only the pod CIDR is passed.
func TestNetworkArgsOfDefaultRuntime(t *testing.T) {
	env := &Env{PodCIDR: "10.88.0.0/16"}
	if got := strings.Join(env.NetworkArgs(), " "); got != "--pod-cidr 10.88.0.0/16" {
		t.Errorf("NetworkArgs = %q, want only --pod-cidr", got)
	}
}

func TestLoadEnvSkipNamesTheRuntimeToBringUp(t *testing.T) {
	t.Setenv("CI", "")
	_, outcome := loadRuntimeEnvIn(t, "containerd2", nil)
	if !strings.Contains(outcome.skipped, "up.sh containerd2") {
		t.Errorf("skip message %q should say `up.sh containerd2`", outcome.skipped)
	}
}

func TestLoadEnvRejectsAnotherRuntimesFile(t *testing.T) {
	stale := strings.Replace(crioEnv, "RUNTIME=crio", "RUNTIME=containerd2", 1)
	_, outcome := loadRuntimeEnvIn(t, "crio", []byte(stale))
	if !strings.Contains(outcome.failed, `"containerd2", not "crio"`) || !strings.Contains(outcome.failed, "up.sh crio") {
		t.Errorf("failure %q should name both runtimes and the command that rewrites the file", outcome.failed)
	}
}

func TestLoadEnvRejectsUnknownRuntime(t *testing.T) {
	_, outcome := loadRuntimeEnvIn(t, "", nil)
	if outcome.failed != "" {
		t.Fatalf("default runtime: %s", outcome.failed)
	}
	t.Setenv(RuntimeVar, "podman")
	outcome = &outcomeTB{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); LoadEnv(outcome) }()
	<-done
	if !strings.Contains(outcome.failed, "podman") {
		t.Errorf("failure %q should name the unknown runtime", outcome.failed)
	}
}
