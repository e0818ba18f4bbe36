package cni

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"
)

func validateWith(t *testing.T, exec *fakeExec, cfg Config) error {
	t.Helper()
	_, data := render(t, cfg)
	binDirs := []string{"/opt/cni/bin", "/usr/lib/cni"}
	cni := libcni.NewCNIConfig(binDirs, exec)
	_, err := validateConflist(context.Background(), cni, exec, binDirs, data)
	return err
}

func TestValidateAcceptsInstalledPlugins(t *testing.T) {
	exec := newFakeExec(t.TempDir())
	if err := validateWith(t, exec, Config{Bandwidth: true, Firewall: true}); err != nil {
		t.Fatal(err)
	}
	asked := map[string]bool{}
	for _, call := range exec.callsOf("VERSION") {
		asked[call.plugin] = true
	}
	for _, plugin := range []string{"bridge", "host-local", "portmap", "bandwidth", "firewall"} {
		if !asked[plugin] {
			t.Errorf("plugin %s was not asked for its versions", plugin)
		}
	}
}

func TestValidateNamesMissingPluginAndSearchedDirs(t *testing.T) {
	for _, missing := range []string{"bridge", "host-local", "portmap"} {
		exec := newFakeExec(t.TempDir())
		exec.installed = slices.DeleteFunc(exec.installed, func(p string) bool { return p == missing })
		err := validateWith(t, exec, Config{})
		var notFound *PluginNotFoundError
		if !errors.As(err, &notFound) || notFound.Plugin != missing {
			t.Fatalf("missing %s: got %v", missing, err)
		}
		want := `CNI plugin "` + missing + `" not found in /opt/cni/bin, /usr/lib/cni: install containernetworking-plugins or set --cni-bin-dir`
		if err.Error() != want {
			t.Errorf("error text\n got %s\nwant %s", err, want)
		}
	}
}

func TestValidateRejectsPluginWithoutOurVersion(t *testing.T) {
	exec := newFakeExec(t.TempDir())
	exec.versions = []string{"0.3.1", "0.4.0"}
	err := validateWith(t, exec, Config{})
	if err == nil || !strings.Contains(err.Error(), `does not support config version "1.0.0"`) {
		t.Fatalf("got %v", err)
	}
}
