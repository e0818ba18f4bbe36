// Package framework holds what every minikubelet end-to-end test needs: the
// test bed's coordinates (test/testbed/env), real crictl, unique names, an
// HTTP probe that waits for a pod to answer, and cleanup that runs even when
// a test fails halfway.
//
// End-to-end tests drive the real runtime the test bed starts (containerd,
// runc, CNI plugins); bring it up with `sudo test/testbed/up.sh`.
package framework

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EnvFile is the test bed's env file for the default runtime (containerd
// 1.6), relative to the repository root.
const EnvFile = "test/testbed/env"

// RuntimeVar names the environment variable that picks the runtime the
// end-to-end tests run against: containerd (the default), containerd2 or
// crio. Each has its own env file, written by `test/testbed/up.sh RUNTIME`.
const RuntimeVar = "MINIKUBELET_E2E_RUNTIME"

// Runtimes are the runtimes the test bed can bring up, the default first.
var Runtimes = []string{"containerd", "containerd2", "crio"}

// EnvFileFor returns the env file of the named runtime, relative to the
// repository root; "" means the default runtime.
func EnvFileFor(runtime string) (string, error) {
	switch runtime {
	case "", Runtimes[0]:
		return EnvFile, nil
	case "containerd2", "crio":
		return EnvFile + "." + runtime, nil
	}
	return "", fmt.Errorf("%s=%q is not a test bed runtime: use one of %s", RuntimeVar, runtime, strings.Join(Runtimes, ", "))
}

// Env is where the test bed's parts are, as test/testbed/up.sh wrote them.
type Env struct {
	// RuntimeEndpoint is the CRI socket, "unix:///path".
	RuntimeEndpoint string
	// Registry is the local image registry, host:port.
	Registry string
	// KubiaImage is the test HTTP server image ("You've hit <hostname>").
	KubiaImage string
	// PauseImage is the sandbox image the runtime is configured with.
	PauseImage string
	// CNIConfDir is the directory the runtime reads its CNI config from.
	CNIConfDir string
	// CNIBinDir holds the CNI plugin binaries.
	CNIBinDir string
	// CNINetwork is the name of the test bed's pod network (may be empty).
	CNINetwork string
	// PodCIDR is the range pod IPs come from, e.g. "10.88.0.0/16".
	PodCIDR string
	// Crictl is the crictl binary.
	Crictl string
	// TestbedRoot is the test bed's persistent state directory.
	TestbedRoot string
	// RuntimeLog is the runtime's log file, worth reading when a test fails
	// (may be empty).
	RuntimeLog string
	// Runtime is the test bed's name of the runtime: containerd,
	// containerd2 or crio.
	Runtime string
	// BridgeName is the Linux bridge of the runtime's pod network; every
	// runtime of the test bed has its own, beside its own PodCIDR.
	BridgeName string
	// CNICacheDir and CNIDataDir are the runtime's libcni cache and
	// host-local allocation directories when they are not the host's
	// (/var/lib/cni): the test bed gives each extra runtime its own, since
	// runtimes and agents release entries of their network they do not own.
	CNICacheDir string
	CNIDataDir  string

	// privateNode marks a private node's Env (Node.Env): its runtime is
	// the node's, which the test bed's scripts do not control.
	privateNode bool
}

// NetworkArgs are the agent flags that keep a minikubelet on this runtime's
// pod network — its bridge, pod CIDR and CNI state — instead of the agent's
// defaults, which are the default runtime's.
func (e *Env) NetworkArgs() []string {
	args := []string{"--pod-cidr", e.PodCIDR}
	for _, flag := range []struct{ name, value string }{
		{"--bridge-name", e.BridgeName},
		{"--cni-cache-dir", e.CNICacheDir},
		{"--cni-data-dir", e.CNIDataDir},
	} {
		if flag.value != "" {
			args = append(args, flag.name, flag.value)
		}
	}
	return args
}

// LoadEnv reads the env file of the runtime named by $MINIKUBELET_E2E_RUNTIME
// (default containerd) from the repository root. Without the file the test
// is skipped with instructions — unless CI=true, where a missing test bed is
// a failure, not a reason to pass.
func LoadEnv(t testing.TB) *Env {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	runtime := os.Getenv(RuntimeVar)
	file, err := EnvFileFor(runtime)
	if err != nil {
		t.Fatal(err)
	}
	up := "sudo test/testbed/up.sh"
	if runtime != "" {
		up += " " + runtime
	}
	path := filepath.Join(root, file)
	values, err := readEnvFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("test bed env file %s is missing and CI=true: run `%s` before the e2e tests", path, up)
		}
		t.Skipf("no test bed: %s is missing; run `%s` to run end-to-end tests", path, up)
	}
	if err != nil {
		t.Fatal(err)
	}
	env, err := envFromValues(values)
	if err == nil && runtime != "" && env.Runtime != "" && env.Runtime != runtime {
		err = fmt.Errorf("it is for runtime %q, not %q", env.Runtime, runtime)
	}
	if err != nil {
		t.Fatalf("%s: %v; rerun `%s` to rewrite it", path, err, up)
	}
	return env
}

// RepoRoot walks up from the working directory to the directory holding
// go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("finding the repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// readEnvFile parses KEY=VALUE lines; blank lines, # comments, a leading
// "export " and matching quotes around the value are allowed, as a shell
// would accept them.
func readEnvFile(path string) (map[string]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading test bed env: %w", err)
	}
	defer file.Close()
	values := map[string]string{}
	scanner := bufio.NewScanner(file)
	for lineNo := 1; scanner.Scan(); lineNo++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: %q is not KEY=VALUE", path, lineNo, line)
		}
		values[strings.TrimSpace(key)] = unquote(strings.TrimSpace(value))
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return values, nil
}

func unquote(value string) string {
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		return value[1 : len(value)-1]
	}
	return value
}

// envFromValues maps the env file's keys onto Env and names every required
// key that is missing.
func envFromValues(values map[string]string) (*Env, error) {
	endpoint := values["RUNTIME_ENDPOINT"]
	if endpoint == "" {
		endpoint = values["CONTAINER_RUNTIME_ENDPOINT"]
	}
	env := &Env{
		RuntimeEndpoint: endpoint,
		Registry:        values["REGISTRY"],
		KubiaImage:      values["KUBIA_IMAGE"],
		PauseImage:      values["PAUSE_IMAGE"],
		CNIConfDir:      values["CNI_CONF_DIR"],
		CNIBinDir:       values["CNI_BIN_DIR"],
		CNINetwork:      values["CNI_NETWORK"],
		PodCIDR:         values["POD_CIDR"],
		Crictl:          values["CRICTL"],
		TestbedRoot:     values["TESTBED_ROOT"],
		RuntimeLog:      values["RUNTIME_LOG"],
		Runtime:         values["RUNTIME"],
		BridgeName:      values["BRIDGE_NAME"],
		CNICacheDir:     values["CNI_CACHE_DIR"],
		CNIDataDir:      values["CNI_DATA_DIR"],
	}
	if env.RuntimeLog == "" {
		env.RuntimeLog = values["CONTAINERD_LOG"] // env files from before the runtime matrix
	}
	required := []struct{ key, value string }{
		{"RUNTIME_ENDPOINT", env.RuntimeEndpoint},
		{"REGISTRY", env.Registry},
		{"KUBIA_IMAGE", env.KubiaImage},
		{"PAUSE_IMAGE", env.PauseImage},
		{"CNI_CONF_DIR", env.CNIConfDir},
		{"CNI_BIN_DIR", env.CNIBinDir},
		{"POD_CIDR", env.PodCIDR},
		{"CRICTL", env.Crictl},
	}
	var missing []string
	for _, r := range required {
		if r.value == "" {
			missing = append(missing, r.key)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return env, nil
}
