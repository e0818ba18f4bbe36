package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUninstallRemovesTheMasqueradeChainWithoutAConfigFile runs the step of
// `make uninstall PURGE=1` that removes the agent's nat chain on a machine
// where `make run` left no /etc/minikubelet/config.yaml. Under pipefail the
// sed on the missing file once ended the script (exit 2) before it purged
// anything; a missing file means the default bridge, mkbr0.
func TestUninstallRemovesTheMasqueradeChainWithoutAConfigFile(t *testing.T) {
	stubs := t.TempDir()
	record := filepath.Join(stubs, "iptables.calls")
	// The chain exists (-S answers), and POSTROUTING jumps to it.
	writeStub(t, stubs, "iptables", `echo "$*" >>`+record+`
case "$*" in
*"-S POSTROUTING"*) echo "-A POSTROUTING -s 10.88.0.0/16 -j MKLT-MASQ-mkbr0" ;;
esac
`)
	function, err := exec.Command("sed", "-n", "/^remove_masquerade_chains()/,/^}/p", "../../deploy/uninstall.sh").Output()
	if err != nil || !strings.Contains(string(function), "remove_masquerade_chains") {
		t.Fatalf("finding remove_masquerade_chains in deploy/uninstall.sh: %v", err)
	}
	script := "set -euo pipefail\nstep() { echo \"step: $*\"; }\n" + string(function) + "remove_masquerade_chains\necho done\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+stubs+":/usr/bin:/bin", "INSTALLED_CONFIG="+filepath.Join(stubs, "absent.yaml"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "done") {
		t.Fatalf("remove_masquerade_chains without a config file: %v\n%s", err, out)
	}
	calls, _ := os.ReadFile(record)
	for _, want := range []string{"-D POSTROUTING -s 10.88.0.0/16 -j MKLT-MASQ-mkbr0", "-X MKLT-MASQ-mkbr0"} {
		if !strings.Contains(string(calls), want) {
			t.Errorf("iptables was not asked for %q; calls:\n%s", want, calls)
		}
	}
}
