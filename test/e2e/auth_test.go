//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestNodeAPIRequiresTheTokenByDefault starts an agent with no security
// flags at all, as a new user would, and attacks it as a local user or a
// hostNetwork pod could: every request that reads pod data or acts is
// refused without the token, and only root can read the token.
func TestNodeAPIRequiresTheTokenByDefault(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("auth")
	agent.WriteManifest(name+".yaml", apiKubiaManifest(name, agent.Env.KubiaImage))
	agent.WaitPod(name, 90*time.Second, "Running", framework.Running)

	for _, file := range []string{agent.Kubeconfig(), filepath.Join(agent.RootDir, "token"), filepath.Join(agent.RootDir, "pki/minikubelet.key")} {
		info, err := os.Stat(file)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want a file only root can read (0600)", file, info.Mode(), err)
		}
	}

	// The attacker trusts the agent's certificate (it is no secret) but
	// has no token.
	config, err := clientcmd.LoadFromFile(agent.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	for _, cluster := range config.Clusters {
		pool.AppendCertsFromPEM(cluster.CertificateAuthorityData)
	}
	anonymous := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	privileged := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `-root"},"spec":{"hostPID":true,` +
		`"containers":[{"name":"c","image":"` + agent.Env.KubiaImage + `","securityContext":{"privileged":true},` +
		`"volumeMounts":[{"name":"host","mountPath":"/host"}]}],"volumes":[{"name":"host","hostPath":{"path":"/"}}]}}`
	requests := []struct{ method, path, body string }{
		{"GET", "/api/v1/pods", ""},
		{"GET", "/api/v1/namespaces/default/pods/" + name, ""},
		{"GET", "/pods", ""},
		{"GET", "/api/v1/namespaces/default/pods/" + name + "/log", ""},
		{"GET", "/containerLogs/default/" + name + "/kubia", ""},
		{"GET", "/api/v1/namespaces/default/events", ""},
		{"GET", "/metrics", ""},
		{"GET", "/metrics/resource", ""},
		{"GET", "/metrics/cadvisor", ""},
		{"GET", "/debug/pprof/heap", ""},
		{"GET", "/debug/pprof/profile?seconds=1", ""},
		{"POST", "/api/v1/namespaces/default/pods/" + name + "/portforward", ""},
		{"POST", "/portForward/default/" + name, ""},
		{"POST", "/api/v1/namespaces/default/pods", privileged},
		{"DELETE", "/api/v1/namespaces/default/pods/" + name, ""},
	}
	for _, r := range requests {
		req, _ := http.NewRequest(r.method, agent.URL(r.path), strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := anonymous.Do(req)
		if err != nil {
			t.Fatalf("%s %s without a token: %v", r.method, r.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without a token = %s, want 401 Unauthorized", r.method, r.path, resp.Status)
		}
	}
	if resp, err := anonymous.Get(agent.URL("/healthz")); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz without a token = %v, %v; it stays open for liveness checks", statusOf(resp), err)
	}
	// Plain HTTP reaches nothing: the port speaks TLS only.
	if resp, err := http.Get("http://" + agent.Listen + "/api/v1/pods"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP GET = %s, want the TLS server's 400", resp.Status)
		}
	}
	if entries, _ := os.ReadDir(agent.ManifestDir); len(entries) != 1 {
		t.Errorf("the manifest directory holds %d files after an anonymous create, want only %s.yaml", len(entries), name)
	}
	if pod := agent.Pod(name); pod == nil || pod.DeletionTimestamp != nil {
		t.Errorf("the pod was deleted by an anonymous request")
	}
	// With the kubeconfig the agent wrote, kubectl is admitted.
	if out := kubectlFor(t, agent).must("get", "pods", "-o", "name"); !strings.Contains(out, "pod/"+name) {
		t.Errorf("kubectl --kubeconfig %s get pods:\n%s", agent.Kubeconfig(), out)
	}
}

// TestCLIRefusesAnUnprivilegedUser runs minikubelet's CLI and kubectl as
// the unprivileged user nobody: neither can read the agent's kubeconfig,
// and the CLI says what to do.
func TestCLIRefusesAnUnprivilegedUser(t *testing.T) {
	agent := framework.StartAgent(t)
	binary := copyForEveryone(t, agent.Binary)
	asNobody := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "setpriv", append([]string{"--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"}, args...)...)
		cmd.Dir = "/"
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	out, err := asNobody(binary, "get", "pods", "--kubeconfig", agent.Kubeconfig())
	if err == nil || !strings.Contains(out, "permission denied") {
		t.Errorf("minikubelet get pods as nobody: %v\n%s", err, out)
	}
	// Without --kubeconfig the CLI reads the default path and explains.
	out, err = asNobody(binary, "get", "pods")
	if err == nil || !(strings.Contains(out, "run as root") || strings.Contains(out, "does not exist")) {
		t.Errorf("minikubelet get pods as nobody, default kubeconfig: %v\n%s", err, out)
	}
	// A guess at the server without the token gets 401.
	out, err = asNobody(binary, "get", "pods", "--server", agent.URL(""), "--insecure-skip-tls-verify")
	if err == nil || !strings.Contains(out, "Unauthorized") {
		t.Errorf("minikubelet get pods as nobody with --server: %v\n%s", err, out)
	}
}

// copyForEveryone copies a binary where any user may run it.
func copyForEveryone(t *testing.T, binary string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "minikubelet-e2e-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "minikubelet")
	if err := os.WriteFile(target, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return target
}

// TestAgentRefusesAManifestDirOthersCanWrite: whoever writes a manifest
// runs a pod as root, so a directory other users may write is refused at
// start, naming the fix.
func TestAgentRefusesAManifestDirOthersCanWrite(t *testing.T) {
	agent := framework.NewAgent(t)
	if err := os.Chmod(agent.ManifestDir, 0o777); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, agent.Binary, "run", "--runtime-endpoint", agent.Env.RuntimeEndpoint,
		"--manifest-dir", agent.ManifestDir, "--root-dir", agent.RootDir, "--listen", "127.0.0.1:0").CombinedOutput()
	want := agent.ManifestDir + " has mode 0777, so group and others could write manifests that run as root: run `chmod go-w " + agent.ManifestDir + "`"
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("agent on a 0777 manifest dir: %v\n%s\nwant %q", err, out, want)
	}
	os.Chmod(agent.ManifestDir, 0o755)
}
