//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// pullUser and pullPassword are the registry's only account; the hash is
// bcrypt("e2e-pull-pass"), the only form the registry's htpasswd reads.
const (
	pullUser         = "e2e-puller"
	pullPassword     = "e2e-pull-pass"
	pullPasswordHash = "$2b$12$mcxfW4pMV7VhcRMAmhLHyuSPK6PpeCCoGpq2orgetGfCZy.VXd/TW"
)

// TestClusterPullsWithImagePullSecrets runs a second real registry (the
// test bed's docker-registry) that demands a password, over TLS (the
// runtime sends credentials only there), with the kubia image copied in:
// a pod naming a kubernetes.io/dockerconfigjson secret for it runs; a pod
// without the secret is refused by the registry (ErrImagePull or
// ImagePullBackOff). CRI-O only: it is told to trust the registry's
// certificate through /etc/containers/certs.d, which it reads at each pull;
// containerd would need its own hosts.toml.
func TestClusterPullsWithImagePullSecrets(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	if agent.Env.Runtime != "crio" {
		t.Skipf("runtime %s: this test trusts its registry's certificate the way CRI-O reads it (/etc/containers/certs.d)", agent.Env.Runtime)
	}
	registry := startAuthRegistry(t)
	image := registry + "/minikubelet/kubia:1.0"
	copyImage(t, agent.Env.KubiaImage, image, registry)

	secret, authed, anon := framework.UniqueName("regcred"), framework.UniqueName("authed"), framework.UniqueName("anon")
	objects.add("secret", secret)
	objects.pod(authed, anon)
	admin.must("create", "secret", "docker-registry", secret, "--docker-server="+registry,
		"--docker-username="+pullUser, "--docker-password="+pullPassword)
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)
	for name, extra := range map[string]string{authed: "  imagePullSecrets:\n  - name: " + secret + "\n", anon: ""} {
		manifest := strings.Replace(scheduledPod(name, agent.NodeName, image, ""), "    image: "+image+"\n",
			"    image: "+image+"\n    imagePullPolicy: Always\n", 1) + extra
		createFrom(t, admin, manifest)
	}
	waitWide(t, admin, authed, agent.NodeName, 90*time.Second)
	framework.WaitUntil(t, 60*time.Second, "pod "+anon+" refused by the registry in `kubectl get pod`", func() bool {
		f := strings.Fields(lastLine(admin.must("get", "pod", anon)))
		return len(f) >= 3 && (f[2] == "ErrImagePull" || f[2] == "ImagePullBackOff")
	})
	if p := getMirror(t, admin, anon); p != nil && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil {
		t.Logf("without the secret: %s", p.Status.ContainerStatuses[0].State.Waiting.Message)
	}
}

// certsDir is where CRI-O (containers/image) looks for a registry's CA.
const certsDir = "/etc/containers/certs.d"

// startAuthRegistry runs docker-registry on a free loopback port with TLS
// and one htpasswd account, trusted by CRI-O for the test, and returns
// its host:port.
func startAuthRegistry(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := writeSelfSignedCert(t, dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	htpasswd := filepath.Join(dir, "htpasswd")
	config := filepath.Join(dir, "registry.yml")
	writeFile(t, htpasswd, pullUser+":"+pullPasswordHash+"\n")
	writeFile(t, config, fmt.Sprintf(`version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: %s}
http:
  addr: %s
  tls: {certificate: %s, key: %s}
auth:
  htpasswd: {realm: minikubelet-e2e, path: %s}
`, filepath.Join(dir, "storage"), addr, certFile, keyFile, htpasswd))
	cmd := exec.Command("docker-registry", "serve", config)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting docker-registry (the test bed installs it): %v", err)
	}
	framework.Cleanup(t, "stop the auth registry", func(context.Context) error {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil
	})
	trust := filepath.Join(certsDir, addr)
	_, err = os.Stat(certsDir)
	madeCertsDir := os.IsNotExist(err)
	if err := os.MkdirAll(trust, 0o755); err != nil {
		t.Fatal(err)
	}
	framework.Cleanup(t, "forget the auth registry's certificate", func(context.Context) error {
		if madeCertsDir {
			return os.RemoveAll(certsDir)
		}
		return os.RemoveAll(trust)
	})
	ca, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(trust, "ca.crt"), string(ca))

	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	framework.WaitUntil(t, 15*time.Second, "the auth registry asking for a password on "+addr, func() bool {
		resp, err := client.Get("https://" + addr + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusUnauthorized
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("auth registry log:\n%s", out.String())
		}
	})
	return addr
}

// copyImage copies image from the test bed's plain-HTTP registry into the
// auth registry with skopeo, logging in.
func copyImage(t *testing.T, from, to, registry string) {
	t.Helper()
	certDir := filepath.Join(certsDir, registry)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "skopeo", "copy", "--src-tls-verify=false", "--dest-cert-dir", certDir,
		"--dest-creds", pullUser+":"+pullPassword, "docker://"+from, "docker://"+to).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo copy %s %s: %v\n%s", from, to, err, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
