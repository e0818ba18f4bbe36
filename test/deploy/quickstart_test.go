// Package deploy tests the install and run scripts under deploy/ the way a
// new machine meets them.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickstartInstallsEveryPackageOnANewMachine runs the first step of
// `make run` on a machine that has none of its packages (dpkg-query knows
// nothing) and checks that apt-get is asked for all of them. It once
// called install_packages with no list, reported "packages present" and
// died later with "setsid: failed to execute docker-registry".
func TestQuickstartInstallsEveryPackageOnANewMachine(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("quickstart.sh requires root")
	}
	stubs := t.TempDir()
	record := filepath.Join(stubs, "apt-get.calls")
	writeStub(t, stubs, "dpkg-query", "exit 1\n")
	writeStub(t, stubs, "apt-get", `echo "$*" >>`+record+"\n")
	writeStub(t, stubs, "crictl", "exit 0\n")
	writeStub(t, stubs, "go", "exit 0\n")
	cmd := exec.Command("bash", "../../deploy/quickstart.sh", "--dependencies-only")
	cmd.Env = append(os.Environ(), "PATH="+stubs+":/usr/bin:/bin")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart.sh --dependencies-only: %v\n%s", err, out)
	}
	calls, _ := os.ReadFile(record)
	var install string
	for _, line := range strings.Split(string(calls), "\n") {
		if strings.Contains(line, "install") {
			install = line
		}
	}
	for _, pkg := range []string{"containerd", "runc", "containernetworking-plugins", "iptables", "docker-registry", "curl"} {
		if !strings.Contains(" "+install+" ", " "+pkg+" ") {
			t.Errorf("apt-get was not asked for %s; its calls:\n%s\nquickstart said:\n%s", pkg, calls, out)
		}
	}
}

func writeStub(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}
