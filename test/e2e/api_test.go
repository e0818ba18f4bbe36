//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	staticpods "github.com/minikubelet/minikubelet/static-pods"
	"github.com/minikubelet/minikubelet/test/e2e/framework"
	"github.com/minikubelet/minikubelet/test/e2e/kubectl"
)

// cli runs one client binary (kubectl or minikubelet) against an agent.
type cli struct {
	t      *testing.T
	binary string
	// extra goes after the arguments: the connection flags.
	extra []string
	// env is added to the client's environment.
	env []string
}

// kubectlFor runs the real kubectl against the agent as its administrator.
func kubectlFor(t *testing.T, agent *framework.Agent) cli {
	return kubectlWith(t, agent.ClientArgs()...)
}

// kubectlWith runs the real kubectl with the given connection flags.
func kubectlWith(t *testing.T, connection ...string) cli {
	return cli{t: t, binary: kubectl.Binary(t), extra: append([]string{"--cache-dir", t.TempDir()}, connection...)}
}

func ownCLIFor(t *testing.T, agent *framework.Agent) cli {
	return cli{t: t, binary: agent.Binary, extra: agent.ClientArgs()}
}

// run runs the client with stdin and returns stdout, stderr and the error.
func (c cli) run(stdin string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.binary, append(args, c.extra...)...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// must runs the client and fails the test when it fails.
func (c cli) must(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run("", args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(c.binary), strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// fails runs the client, expects it to fail and returns its stderr.
func (c cli) fails(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run("", args...)
	if err == nil {
		c.t.Fatalf("%s %s succeeded, want an error\nstdout:\n%s", filepath.Base(c.binary), strings.Join(args, " "), out)
	}
	return errOut
}

// background starts the client and returns a reader of its output lines
// and a stop function; the process is killed when the test ends.
func (c cli) background(args ...string) (lines <-chan string, stop func()) {
	c.t.Helper()
	cmd := exec.Command(c.binary, append(args, c.extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	out := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			out <- scanner.Text()
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			go func() { // drain so the reader goroutine can end
				for range out {
				}
			}()
			<-done
			_ = cmd.Wait()
		})
	}
	c.t.Cleanup(stop)
	return out, stop
}

// waitLine waits for a line matching re and returns it.
func waitLine(t *testing.T, lines <-chan string, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	var seen []string
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("output ended before a line matching %s; got:\n%s", re, strings.Join(seen, "\n"))
			}
			if re.MatchString(line) {
				return line
			}
			seen = append(seen, line)
		case <-deadline:
			t.Fatalf("no line matching %s within %s; got:\n%s", re, timeout, strings.Join(seen, "\n"))
		}
	}
}

func apiKubiaManifest(name, image string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels:
    app: %s
spec:
  containers:
  - name: kubia
    image: %s
    ports:
    - containerPort: 8080
`, name, name, image)
}

func apiFreePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// exerciseNodeAPI drives one client through the pod verbs of issue 9 on a
// real agent: create, get (table, wide, yaml), logs -f, port-forward,
// a manifest error, Status errors, get -w and delete.
func exerciseNodeAPI(t *testing.T, agent *framework.Agent, client cli) {
	name := framework.UniqueName("api")
	file := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(file, []byte(apiKubiaManifest(name, agent.Env.KubiaImage)), 0o644); err != nil {
		t.Fatal(err)
	}

	if out := client.must("create", "-f", file); strings.TrimSpace(out) != "pod/"+name+" created" {
		t.Errorf("create printed %q", out)
	}
	written := filepath.Join(agent.ManifestDir, "default_"+name+".yaml")
	if _, err := os.Stat(written); err != nil {
		t.Fatalf("create wrote no manifest: %v", err)
	}
	agent.WaitPod(name, 90*time.Second, "Running", framework.Running)

	table := client.must("get", "pods")
	if !regexp.MustCompile(`(?m)^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$`).MatchString(table) ||
		!regexp.MustCompile(`(?m)^`+name+`\s+1/1\s+Running\s+0\s+\d+s$`).MatchString(table) {
		t.Errorf("get pods:\n%s", table)
	}
	wide := client.must("get", "pods", "-o", "wide", "-A")
	if !regexp.MustCompile(`(?m)^default\s+` + name + `\s+1/1\s+Running\s+0\s+\S+\s+10\.\d+\.\d+\.\d+\s+` + agent.NodeName + `\s`).MatchString(wide) {
		t.Errorf("get pods -o wide -A:\n%s", wide)
	}

	asYAML := client.must("get", "pod", name, "-o", "yaml")
	var pod v1.Pod
	if err := yaml.UnmarshalStrict([]byte(asYAML), &pod); err != nil {
		t.Fatalf("get -o yaml is not a Pod: %v\n%s", err, asYAML)
	}
	if pod.Name != name || pod.Status.Phase != v1.PodRunning || pod.Status.PodIP == "" || pod.Spec.Containers[0].Image != agent.Env.KubiaImage {
		t.Errorf("get -o yaml pod = %+v", pod)
	}
	if _, ferr := staticpods.DecodeManifest("copy.yaml", []byte(asYAML), agent.NodeName); ferr != nil {
		t.Errorf("get -o yaml does not round-trip to a valid manifest: %v", ferr)
	}

	logLines, stopLogs := client.background("logs", "-f", name, "-c", "kubia")
	waitLine(t, logLines, regexp.MustCompile(`listening on`), 20*time.Second)
	stopLogs()

	port := apiFreePort(t)
	pfLines, _ := client.background("port-forward", name, port+":8080")
	waitLine(t, pfLines, regexp.MustCompile(`^Forwarding from 127\.0\.0\.1:`+port), 30*time.Second)
	if body, err := framework.HTTPGet(framework.Context(t, time.Minute), "http://127.0.0.1:"+port+"/"); err != nil || !strings.Contains(body, "You've hit") {
		t.Errorf("curl through port-forward = %q, %v", body, err)
	}

	if errOut := client.fails("get", "pod", "nope-"+name); !strings.Contains(errOut, `pods "nope-`+name+`" not found`) {
		t.Errorf("get of a missing pod said:\n%s", errOut)
	}
	invalid := strings.Replace(apiKubiaManifest("bad-"+name, agent.Env.KubiaImage), "ports:", "imagePullPolicy: Sometimes\n    ports:", 1)
	os.WriteFile(file, []byte(invalid), 0o644)
	if errOut := client.fails("create", "-f", file); !strings.Contains(errOut, `is invalid`) || !strings.Contains(errOut, "spec.containers[0].imagePullPolicy") {
		t.Errorf("create of an invalid pod said:\n%s", errOut)
	}
	if errOut := client.fails("create", "-f", written); !strings.Contains(errOut, "already exists") {
		t.Errorf("second create said:\n%s", errOut)
	}

	broken := "broken-" + name
	agent.WriteManifest(broken+".yaml", strings.ReplaceAll(invalid, "bad-"+name, broken))
	waitFor(t, 10*time.Second, "the broken manifest to be listed", func() bool {
		_, _, err := client.run("", "get", "pod", broken)
		return err == nil
	})
	brokenYAML := client.must("get", "pod", broken, "-o", "yaml")
	if !strings.Contains(brokenYAML, "reason: ManifestError") || !strings.Contains(brokenYAML, "imagePullPolicy") {
		t.Errorf("a broken manifest's pod status:\n%s", brokenYAML)
	}
	if described := client.must("describe", "pod", broken); !strings.Contains(described, "ManifestError") || !strings.Contains(described, "imagePullPolicy") {
		t.Errorf("describe of a broken manifest:\n%s", described)
	}
	agent.RemoveManifest(broken + ".yaml")

	watchLines, _ := client.background("get", "pods", "-w", "-l", "app="+name)
	waitLine(t, watchLines, regexp.MustCompile(`^`+name+`\s+1/1\s+Running`), 20*time.Second)
	if out := client.must("delete", "pod", name); strings.TrimSpace(out) != `pod "`+name+`" deleted from default namespace` {
		t.Errorf("delete printed %q", out)
	}
	waitLine(t, watchLines, regexp.MustCompile(`^`+name+`\s+\S+\s+Terminating`), 20*time.Second)
	if _, err := os.Stat(written); !os.IsNotExist(err) {
		t.Errorf("delete left the manifest: %v", err)
	}
	if p := agent.Pod(name); p != nil {
		t.Errorf("pod still listed after delete returned: %s", p.Status.Phase)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestNodeAPIWithRealKubectl(t *testing.T) {
	agent := framework.StartAgent(t)
	k := kubectlFor(t, agent)
	if out := k.must("version"); !regexp.MustCompile(`Server Version: v1\.\d+\.\d+\+minikubelet`).MatchString(out) {
		t.Errorf("kubectl version:\n%s", out)
	}
	exerciseNodeAPI(t, agent, k)
}

func TestNodeAPIWithOwnCLI(t *testing.T) {
	agent := framework.StartAgent(t)
	own := ownCLIFor(t, agent)
	if out := own.must("version"); !strings.Contains(out, "Server Version: v1.") {
		t.Errorf("minikubelet version:\n%s", out)
	}
	exerciseNodeAPI(t, agent, own)
}

// TestNodeAPIApplyReplacesTheManifest checks create-or-replace with the
// project's CLI: the pod restarts with the new spec from the same file.
func TestNodeAPIApplyReplacesTheManifest(t *testing.T) {
	agent := framework.StartAgent(t)
	own := ownCLIFor(t, agent)
	name := framework.UniqueName("apply")
	file := filepath.Join(t.TempDir(), "pod.yaml")
	manifest := apiKubiaManifest(name, agent.Env.KubiaImage)
	os.WriteFile(file, []byte(manifest), 0o644)
	if out := own.must("apply", "-f", file); strings.TrimSpace(out) != "pod/"+name+" created" {
		t.Errorf("first apply printed %q", out)
	}
	first := agent.WaitPod(name, 90*time.Second, "Running", framework.Running)
	if out := own.must("apply", "-f", file); strings.TrimSpace(out) != "pod/"+name+" unchanged" {
		t.Errorf("same apply printed %q", out)
	}
	os.WriteFile(file, []byte(strings.Replace(manifest, "app: "+name, "app: "+name+"\n    tier: front", 1)), 0o644)
	if out := own.must("apply", "-f", file); strings.TrimSpace(out) != "pod/"+name+" configured" {
		t.Errorf("apply of a label printed %q", out)
	}
	labelled := agent.WaitPod(name, 30*time.Second, "Running with the new label", func(p *v1.Pod) bool {
		return framework.Running(p) && p.Labels["tier"] == "front"
	})
	if labelled.UID != first.UID {
		t.Errorf("a label change replaced the pod: UID %s → %s", first.UID, labelled.UID)
	}
	os.WriteFile(file, []byte(withEnv(strings.Replace(manifest, "app: "+name, "app: "+name+"\n    tier: front", 1), "TIER", "front")), 0o644)
	if out, _, err := own.run("", "diff", "-f", file); exitCode(err) != 1 || !strings.Contains(out, "+    - name: TIER") {
		t.Errorf("diff of a spec change = exit %d, want 1 with the env:\n%s", exitCode(err), out)
	}
	if out := own.must("apply", "-f", file); strings.TrimSpace(out) != "pod/"+name+" configured" {
		t.Errorf("changed apply printed %q", out)
	}
	again := agent.WaitPod(name, 90*time.Second, "Running with the new env", hasEnv("TIER", "front"))
	if again.UID == first.UID {
		t.Errorf("the pod kept UID %s after a spec change", again.UID)
	}
	if out, _, err := own.run("", "diff", "-f", file); err != nil || out != "" {
		t.Errorf("diff after apply = %v, want exit 0 and nothing:\n%s", err, out)
	}
	own.must("delete", "-f", file)
}

func TestNodeAPIRefusesUnprotectedExposure(t *testing.T) {
	env := framework.LoadEnv(t)
	binary := framework.AgentBinary(t)
	ctx := framework.Context(t, time.Minute)
	out, err := exec.CommandContext(ctx, binary, "run", "--runtime-endpoint", env.RuntimeEndpoint,
		"--manifest-dir", t.TempDir(), "--listen", "0.0.0.0:"+apiFreePort(t)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--listen 0.0.0.0:") || !strings.Contains(string(out), "--tls-cert-file") {
		t.Errorf("an unprotected 0.0.0.0 listener: err %v, said:\n%s", err, out)
	}
}

func TestNodeAPIOffBoxNeedsTokenOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeSelfSignedCert(t, dir)
	tokenFile := filepath.Join(dir, "token")
	token := framework.RandomHex(16)
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o600)
	agent := framework.NewAgent(t, "--tls-cert-file", certFile, "--tls-private-key-file", keyFile, "--token-file", tokenFile)
	port := apiFreePort(t)
	agent.Listen = "0.0.0.0:" + port
	agent.Start() // probes /healthz with the kubeconfig the agent wrote for its own certificate
	server := "https://127.0.0.1:" + port
	if ip := nonLoopbackIP(); ip != "" {
		server = "https://" + net.JoinHostPort(ip, port) // reach it the way another machine would
	}

	// Without credentials kubectl would prompt for a user name; a request
	// carrying no token is made directly, one with a wrong token by kubectl.
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pem)
	anonymous := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, path := range []string{"/api/v1/pods", "/api/v1/namespaces/default/pods/x/log", "/api/v1/namespaces/default/pods/x/portforward", "/containerLogs/default/x/c"} {
		resp, err := anonymous.Get(server + path)
		if err != nil {
			t.Fatalf("GET %s without a token: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a token = %s, want 401", path, resp.Status)
		}
	}
	wrongToken := kubectlWith(t, "--server", server, "--certificate-authority", certFile, "--token", "wrong")
	if errOut := wrongToken.fails("get", "pods"); !strings.Contains(errOut, "You must be logged in to the server") {
		t.Errorf("kubectl with a wrong token said:\n%s", errOut)
	}
	withToken := kubectlWith(t, "--server", server, "--certificate-authority", certFile, "--token", token)
	if _, errOut, err := withToken.run("", "get", "pods"); err != nil || !strings.Contains(errOut, "No resources found") {
		t.Errorf("kubectl with the token: %v\n%s", err, errOut)
	}
	own := cli{t: t, binary: agent.Binary, extra: []string{"--server", server, "--certificate-authority", certFile, "--token", token}}
	if out := own.must("version"); !strings.Contains(out, "Server Version") {
		t.Errorf("minikubelet version over TLS:\n%s", out)
	}
}

// nonLoopbackIP is an address of this machine other machines could use.
func nonLoopbackIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipNet, ok := a.(*net.IPNet); ok && !ipNet.IP.IsLoopback() && ipNet.IP.To4() != nil {
			return ipNet.IP.String()
		}
	}
	return ""
}

// writeSelfSignedCert writes a CA-less self-signed certificate valid for
// 127.0.0.1 and this machine's other addresses, and its key.
func writeSelfSignedCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1)}
	if ip := nonLoopbackIP(); ip != "" {
		ips = append(ips, net.ParseIP(ip))
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "minikubelet-e2e"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: ips, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}
