package framework

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// outcomeTB records how LoadEnv ended a test instead of ending ours.
type outcomeTB struct {
	testing.TB
	skipped, failed string
}

func (o *outcomeTB) Helper() {}
func (o *outcomeTB) Skipf(format string, args ...any) {
	o.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (o *outcomeTB) Fatalf(format string, args ...any) {
	o.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (o *outcomeTB) Fatal(args ...any) {
	o.failed = fmt.Sprint(args...)
	runtime.Goexit()
}

// loadEnvIn runs LoadEnv in a fresh repository whose env file has content
// (nil: no env file) and reports how it ended.
func loadEnvIn(t *testing.T, content []byte) (*Env, *outcomeTB) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), []byte("module example\n"))
	if content != nil {
		writeFile(t, filepath.Join(root, EnvFile), content)
	}
	sub := filepath.Join(root, "test", "e2e")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub) // LoadEnv must walk up to go.mod

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

func writeFile(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

const fullEnv = `# Written by test/testbed/up.sh
TESTBED_ROOT=/var/lib/minikubelet-testbed
RUNTIME_ENDPOINT=unix:///run/minikubelet-testbed/containerd/containerd.sock
CONTAINER_RUNTIME_ENDPOINT=unix:///run/minikubelet-testbed/containerd/containerd.sock
REGISTRY=127.0.0.1:5000
export KUBIA_IMAGE="127.0.0.1:5000/minikubelet/kubia:1.0"
PAUSE_IMAGE='127.0.0.1:5000/minikubelet/pause:3.10'
CNI_CONF_DIR=/var/lib/minikubelet-testbed/net.d
CNI_BIN_DIR=/usr/lib/cni

POD_CIDR=10.88.0.0/16
CRICTL=/usr/local/bin/crictl
`

func TestLoadEnvReadsEveryKey(t *testing.T) {
	env, outcome := loadEnvIn(t, []byte(fullEnv))
	if outcome.failed != "" || outcome.skipped != "" {
		t.Fatalf("LoadEnv failed=%q skipped=%q", outcome.failed, outcome.skipped)
	}
	want := Env{
		RuntimeEndpoint: "unix:///run/minikubelet-testbed/containerd/containerd.sock",
		Registry:        "127.0.0.1:5000",
		KubiaImage:      "127.0.0.1:5000/minikubelet/kubia:1.0",
		PauseImage:      "127.0.0.1:5000/minikubelet/pause:3.10",
		CNIConfDir:      "/var/lib/minikubelet-testbed/net.d",
		CNIBinDir:       "/usr/lib/cni",
		PodCIDR:         "10.88.0.0/16",
		Crictl:          "/usr/local/bin/crictl",
		TestbedRoot:     "/var/lib/minikubelet-testbed",
	}
	if *env != want {
		t.Errorf("LoadEnv =\n  %+v\nwant\n  %+v", *env, want)
	}
}

func TestLoadEnvSkipsWithoutTestBedOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	_, outcome := loadEnvIn(t, nil)
	if outcome.skipped == "" || outcome.failed != "" {
		t.Fatalf("without an env file outside CI: skipped=%q failed=%q, want a skip", outcome.skipped, outcome.failed)
	}
	if !strings.Contains(outcome.skipped, "test/testbed/up.sh") {
		t.Errorf("skip message %q should say how to bring the test bed up", outcome.skipped)
	}
}

func TestLoadEnvFailsWithoutTestBedInCI(t *testing.T) {
	t.Setenv("CI", "true")
	_, outcome := loadEnvIn(t, nil)
	if outcome.failed == "" {
		t.Fatalf("without an env file in CI: skipped=%q, want a failure", outcome.skipped)
	}
}

func TestLoadEnvNamesMissingKeys(t *testing.T) {
	_, outcome := loadEnvIn(t, []byte("RUNTIME_ENDPOINT=unix:///x.sock\nREGISTRY=r:5000\n"))
	for _, key := range []string{"KUBIA_IMAGE", "PAUSE_IMAGE", "POD_CIDR", "CRICTL"} {
		if !strings.Contains(outcome.failed, key) {
			t.Errorf("failure %q does not name missing key %s", outcome.failed, key)
		}
	}
}

func TestLoadEnvRejectsMalformedLine(t *testing.T) {
	_, outcome := loadEnvIn(t, []byte(fullEnv+"oops\n"))
	if !strings.Contains(outcome.failed, ":13:") || !strings.Contains(outcome.failed, `"oops"`) {
		t.Errorf("failure %q should name the line and its text", outcome.failed)
	}
}

func TestUniqueName(t *testing.T) {
	dns1123 := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	seen := map[string]bool{}
	for _, prefix := range []string{"Smoke", strings.Repeat("x", 80)} {
		for range 100 {
			name := UniqueName(prefix)
			if len(name) > 63 || !dns1123.MatchString(name) {
				t.Fatalf("UniqueName(%q) = %q, not a DNS-1123 label", prefix, name)
			}
			if seen[name] {
				t.Fatalf("UniqueName(%q) repeated %q", prefix, name)
			}
			seen[name] = true
		}
	}
}

func TestTableRow(t *testing.T) {
	const podsOutput = `POD ID              CREATED             STATE               NAME                NAMESPACE           ATTEMPT             RUNTIME
0f1e2d3c4b5a6       2 seconds ago       Ready               smoke-1a2b3c4d      e2e                 0                   (default)
`
	row := TableRow(podsOutput, "0f1e2d3c4b5a69988776655")
	if len(row) == 0 || row[4] != "Ready" || row[5] != "smoke-1a2b3c4d" {
		t.Errorf("TableRow = %q, want the smoke pod's row", row)
	}
	if row := TableRow(podsOutput, "ffff"); row != nil {
		t.Errorf("TableRow for an absent ID = %q, want nil", row)
	}
	if row := TableRow(podsOutput, "0f1e2d"); row != nil {
		t.Errorf("TableRow for a too-short ID prefix matched %q", row)
	}
}

func TestHTTPGetRetriesUntilServerAnswers(t *testing.T) {
	var calls atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "You've hit pod")
	}))
	defer server.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, err := HTTPGet(ctx, server.URL)
	if err != nil || body != "You've hit pod" {
		t.Fatalf("HTTPGet = %q, %v; want the body of the first success", body, err)
	}
	if calls.Load() != 3 {
		t.Errorf("server saw %d requests, want 3", calls.Load())
	}
}

func TestHTTPGetGivesUpAtDeadlineWithLastError(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "still starting", http.StatusServiceUnavailable)
	}))
	defer server.Close()

	// Long enough for at least one answer even on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := HTTPGet(ctx, server.URL)
	if err == nil || !strings.Contains(err.Error(), "still starting") || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("HTTPGet against a failing server = %v, want the deadline and the last answer", err)
	}
}
