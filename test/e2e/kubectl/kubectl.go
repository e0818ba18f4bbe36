// Package kubectl builds the real, upstream kubectl for end-to-end tests
// from the tool module in test/tools/kubectl, so the node API is checked
// against the client users run rather than against our idea of it.
package kubectl

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Version is the k8s.io/kubectl module version the tool module requires.
const Version = "v0.37.2"

// buildTimeout bounds the first build, about two minutes on two cores.
const buildTimeout = 15 * time.Minute

var (
	once     sync.Once
	path     string
	buildErr error
)

// Binary returns the kubectl binary, building it on first use into the
// git-ignored test/testbed/.cache, where later runs find it.
func Binary(t testing.TB) string {
	t.Helper()
	once.Do(func() { path, buildErr = build() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return path
}

func build() (string, error) {
	root, err := framework.RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(root, "test/testbed/.cache/kubectl-"+Version)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	// Stamp the Kubernetes version, or kubectl reports v0.0.0-master and
	// `kubectl version` fails to parse it.
	k8sVersion := "v1." + strings.TrimPrefix(Version, "v0.")
	minor := strings.Split(strings.TrimPrefix(Version, "v0."), ".")[0]
	ldflags := fmt.Sprintf("-X k8s.io/component-base/version.gitVersion=%s -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=%s "+
		"-X k8s.io/client-go/pkg/version.gitVersion=%s -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=%s",
		k8sVersion, minor, k8sVersion, minor)
	tmp := out + ".building"
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags", ldflags, "-o", tmp, ".")
	cmd.Dir = filepath.Join(root, "test/tools/kubectl")
	if log, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building kubectl %s in test/tools/kubectl: %v\n%s", Version, err, log)
	}
	// Rename last, so an interrupted build never leaves a half binary.
	if err := os.Rename(tmp, out); err != nil {
		return "", fmt.Errorf("caching kubectl: %w", err)
	}
	return out, nil
}
