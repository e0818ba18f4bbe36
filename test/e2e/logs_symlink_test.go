//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// A container with a hostPath mount of the pod log root keeps planting
// links in its own pod's log directory, found from its UID, while its
// sibling logs enough to be rotated many times. The agent runs as root:
// its rotator must neither copy a host file into the directory (by
// compressing a link) nor write through a link into a host file, and
// `logs` must not serve a host file.
func TestLogRotationAndReadsIgnoreLinksAContainerPlants(t *testing.T) {
	const lines = 4000
	agent := framework.StartAgent(t, flagLogMaxSize, "16Ki", flagLogMaxFiles, "40", flagLogInterval, "50ms")
	name := framework.UniqueName("logplant")
	secretText := "host-secret-" + framework.RandomHex(8)
	host := t.TempDir()
	secret, secretGz, victim := filepath.Join(host, "secret"), filepath.Join(host, "secret.gz"), filepath.Join(host, "victim")
	// CRI-formatted, so a reader that followed a link would serve it.
	secretLine := "2024-05-01T10:00:00Z stdout F " + secretText + "\n"
	writeHostFile(t, secret, []byte(secretLine))
	writeHostFile(t, secretGz, gzipped(t, secretLine))
	writeHostFile(t, victim, []byte("victim content"))

	dir := "/logs/default_" + name + "_$(POD_UID)/logger/"
	old := dir + "0.log.20000101-000000.000000"
	planted := []string{
		secret, old, // an old rotated file, which the rotator compresses
		victim, old + ".gz.tmp", // the temporary file of that compression
		victim, old + ".gz", // its compressed name
		secretGz, dir + "0.log.19990101-000000.000000.gz", // an older compressed file, which `logs` reads
	}
	args, _ := json.Marshal(append([]string{"relink", "-every", "1ms"}, planted...))
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  terminationGracePeriodSeconds: 2
  volumes:
  - name: logs
    hostPath: {path: %s}
  containers:
  - name: logger
    image: %s
    args: ["-log-lines", "%d", "-log-interval", "1ms"]
  - name: planter
    image: %s
    imagePullPolicy: Always
    command: ["/kubia"]
    args: %s
    env:
    - name: POD_UID
      valueFrom: {fieldRef: {fieldPath: metadata.uid}}
    volumeMounts:
    - {name: logs, mountPath: /logs}
`, name, agent.PodLogDir, agent.Env.KubiaImage, lines, agent.Env.KubiaImage, args))
	pod := agent.WaitPod(name, 90*time.Second, "Running", framework.Running)
	logDir := filepath.Join(agent.PodLogDir, "default_"+name+"_"+string(pod.UID), "logger")
	hostOld := filepath.Join(logDir, filepath.Base(old))
	waitFor(t, 30*time.Second, "the planter's links", func() bool {
		info, err := os.Lstat(hostOld)
		return err == nil && info.Mode()&os.ModeSymlink != 0
	})
	waitLogs(t, agent, fmt.Sprintf("line %d\n", lines), name, "-c", "logger", "--tail", "3")
	time.Sleep(time.Second) // about 20 more rotation passes with the links in place

	if got, _ := os.ReadFile(victim); string(got) != "victim content" {
		t.Errorf("the host file a link pointed to was overwritten: %q", got)
	}
	compressed := 0
	for _, entry := range readDir(t, logDir) {
		data := regularFileContent(t, filepath.Join(logDir, entry.Name()))
		if strings.HasSuffix(entry.Name(), ".gz") && data != nil {
			compressed++
		}
		if bytes.Contains(data, []byte(secretText)) {
			t.Errorf("%s in the container's log directory holds the host file's content", entry.Name())
		}
	}
	if compressed < 2 {
		t.Errorf("only %d compressed logs in %s: the test did not exercise rotation", compressed, logDir)
	}
	whole := mustLogs(t, agent, name, "-c", "logger")
	tail := mustLogs(t, agent, name, "-c", "logger", "--tail", "100")
	if strings.Contains(whole+tail, secretText) {
		t.Errorf("logs served the host file a link pointed to")
	}
	checkNumbered(t, "logs with links planted", whole, 1, lines)
	if info, err := os.Lstat(hostOld); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the planter's link is gone at the end (%v): the test did not race the rotator to the end", err)
	}
}

func writeHostFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func gzipped(t *testing.T, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(text)); err != nil || zw.Close() != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// regularFileContent returns a regular file's content, decompressed if it
// is gzip; nil for links and anything else.
func regularFileContent(t *testing.T, path string) []byte {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil || !info.Mode().IsRegular() {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil // rotated away meanwhile
	}
	if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
		if plain, err := io.ReadAll(zr); err == nil {
			return plain
		}
	}
	return data
}
