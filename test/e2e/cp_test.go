//go:build e2e

package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestCopyToAndFromAContainer copies a file and a directory tree into a
// container and back with each client, and compares checksums.
func TestCopyToAndFromAContainer(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("cp")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)

	local := t.TempDir()
	tree := filepath.Join(local, "tree")
	writeRandom(t, filepath.Join(tree, "big.bin"), 3<<20)
	writeRandom(t, filepath.Join(tree, "nested", "deeper", "small.bin"), 1234)
	writeRandom(t, filepath.Join(tree, "empty.bin"), 0)
	want := checksums(t, tree)

	for client, c := range streamClients(t, agent) {
		t.Run(client, func(t *testing.T) {
			remote := "/tmp/" + client
			// A file to a path, and back.
			c.mustVerb("cp", filepath.Join(tree, "big.bin"), name+":"+remote+"-big.bin")
			back := filepath.Join(t.TempDir(), "big.bin")
			c.mustVerb("cp", name+":"+remote+"-big.bin", back)
			if got := sumFile(t, back); got != want["big.bin"] {
				t.Errorf("big.bin came back with sha256 %s; want %s", got, want["big.bin"])
			}
			// A tree into a directory that exists (it lands inside, as
			// kubectl puts it), and back.
			c.mustVerb("exec", name, "--", "/kubia", "write", remote+"/keep", "x")
			c.mustVerb("cp", tree, name+":"+remote)
			out := filepath.Join(t.TempDir(), "out")
			c.mustVerb("cp", name+":"+remote+"/tree", out)
			if got := checksums(t, out); !equalSums(got, want) {
				t.Errorf("the tree came back as %v; want %v", got, want)
			}
		})
	}
}

// TestCopyWithAnImageWithoutTar says what happens when the container has
// no tar: kubectl passes on the runtime's error, our CLI says what to do.
func TestCopyWithAnImageWithoutTar(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("notar")
	agent.WriteManifest(name+".yaml", `apiVersion: v1
kind: Pod
metadata:
  name: `+name+`
spec:
  containers:
  - name: pause
    image: `+agent.Env.PauseImage+`
`)
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	file := filepath.Join(t.TempDir(), "f")
	writeRandom(t, file, 10)

	clients := streamClients(t, agent)
	// kubectl prints the tar's stderr on its stdout; CRI-O sends runc's
	// complaint there, containerd makes it the session's error.
	out, errOut, err := clients["kubectl"].verb("", "cp", name+":/etc/hostname", file)
	if err == nil || !strings.Contains(out+errOut, "executable file not found") {
		t.Errorf("kubectl cp from an image without tar: %v\nstdout: %q\nstderr: %q", err, out, errOut)
	}
	for _, args := range [][]string{{name + ":/etc/hostname", file + ".back"}, {file, name + ":/tmp/f"}} {
		_, errOut, err = clients["minikubelet"].verb("", "cp", args...)
		if err == nil || !strings.Contains(errOut, `cp runs "tar" in the container, as kubectl cp does, and container pause has none in its PATH`) {
			t.Errorf("minikubelet cp %v from an image without tar: %v\nstderr: %q", args, err, errOut)
		}
	}
}

func (c cli) mustVerb(verb string, args ...string) string {
	c.t.Helper()
	out, errOut, err := c.verb("", verb, args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(c.binary), strings.Join(append([]string{verb}, args...), " "), err, out, errOut)
	}
	return out
}

func writeRandom(t *testing.T, file string, size int) {
	t.Helper()
	data := make([]byte, size)
	_, _ = rand.Read(data)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sumFile(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// checksums maps each regular file under dir, by its path from dir, to
// its sha256.
func checksums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(file string, entry fs.DirEntry, err error) error {
		if err != nil || !entry.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dir, file)
		sums[filepath.ToSlash(rel)] = sumFile(t, file)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func equalSums(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}
