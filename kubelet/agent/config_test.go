package agent

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigFileSetsEveryKindOfField(t *testing.T) {
	path := writeConfig(t, `
manifestDir: /srv/manifests
relistPeriod: 500ms
manifestRelistPeriod: 1m
manageNetwork: false
containerLogMaxFiles: 3
cniBinDirs: [/usr/lib/cni]
peers: 192.168.1.12=10.88.2.0/24
insecureRegistries:
- registry.lan:5000
managedRuntime: always
stopRuntimeOnExit: true
`)
	opts, err := LoadConfigFile(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if opts.ManifestDir != "/srv/manifests" || opts.RelistPeriod != 500*time.Millisecond || opts.ManifestRelist != time.Minute {
		t.Errorf("strings/durations: %q %v %v", opts.ManifestDir, opts.RelistPeriod, opts.ManifestRelist)
	}
	if opts.ManageNetwork || opts.ContainerLogMaxFiles != 3 || !opts.StopRuntimeOnExit || opts.ManagedRuntime != ManagedRuntimeAlways {
		t.Errorf("bools/ints: %+v", opts)
	}
	if !reflect.DeepEqual(opts.CNIBinDirs, []string{"/usr/lib/cni"}) || !reflect.DeepEqual(opts.InsecureRegistries, []string{"registry.lan:5000"}) {
		t.Errorf("lists: %v %v", opts.CNIBinDirs, opts.InsecureRegistries)
	}
	if len(opts.Peers) != 1 || opts.Peers[0].String() != "192.168.1.12=10.88.2.0/24" {
		t.Errorf("peers: %v", opts.Peers.String())
	}
	if opts.Listen != DefaultOptions().Listen {
		t.Errorf("a field the file does not set lost its default: listen %q", opts.Listen)
	}
}

func TestLoadConfigFileEmptyKeepsBase(t *testing.T) {
	opts, err := LoadConfigFile(writeConfig(t, "# nothing set\n"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(opts, DefaultOptions()) {
		t.Fatalf("empty file changed options: %+v", opts)
	}
}

func TestLoadConfigFileErrorsNameFileAndField(t *testing.T) {
	cases := []struct {
		name, content string
		want          []string
	}{
		{"unknown field", "manifestdir: /x\n", []string{`unknown field "manifestdir" (did you mean "manifestDir"?)`}},
		{"flag name as field", "log-level: debug\n", []string{`unknown field "log-level" (did you mean "logLevel"?)`}},
		{"typo", "listn: 127.0.0.1:1\n", []string{`unknown field "listn" (did you mean "listen"?)`}},
		{"nothing close", "colour: blue\n", []string{`unknown field "colour"; the fields are the run flags in camelCase`}},
		{"duplicate key", "listen: a:1\nlisten: b:2\n", []string{`not valid YAML`, `"listen" already set`}},
		{"number for string", "manifestDir: 5\n", []string{`manifestDir: want a string, got a number`}},
		{"string for int", "containerLogMaxFiles: five\n", []string{`containerLogMaxFiles: want a whole number, got a string`}},
		{"string for list", "cniBinDirs: 7\n", []string{`cniBinDirs: want a list of strings, got a number`}},
		{"bad duration", "relistPeriod: 10\n", []string{`relistPeriod: want a duration such as 1s or 500ms, got 10`}},
		{"duration without unit", "relistPeriod: \"10\"\n", []string{`relistPeriod: "10" is not a duration`}},
		{"bad peer", "peers: [nonsense]\n", []string{`peers: peer "nonsense": want NODE_IP=POD_CIDR`}},
		{"not a mapping", "- a\n- b\n", []string{`want a mapping of option names to values`}},
		{"invalid value", "logLevel: loud\n", []string{`logLevel (--log-level): "loud" is not a level`}},
		{"conflict", "managedRuntime: always\nruntimeEndpoint: unix:///run/x.sock\n", []string{`conflicts with runtimeEndpoint`}},
		{"all problems at once", "listn: x\nrelistPeriod: 0s\nmanagedRuntime: sometimes\n", []string{
			`unknown field "listn"`, `relistPeriod (--relist-period): must be more than zero`, `managedRuntime (--managed-runtime): "sometimes" is not one of auto, always, never`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.content)
			_, err := LoadConfigFile(path, DefaultOptions())
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "config file "+path+": ") {
				t.Errorf("error does not start by naming the file:\n%v", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestLoadConfigFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := LoadConfigFile(path, DefaultOptions())
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("error %v, want one naming %s", err, path)
	}
}

// Every option must be settable from the file: a field without a JSON name
// would silently be flag-only.
func TestEveryOptionHasAConfigField(t *testing.T) {
	typ := reflect.TypeFor[Options]()
	if got := len(optionFieldIndex()); got != typ.NumField() {
		t.Fatalf("%d of %d Options fields have a JSON name", got, typ.NumField())
	}
}

func TestValidateDefaultsPass(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestValidateNamesFieldAndFlag(t *testing.T) {
	opts := DefaultOptions()
	opts.RootDir = "relative/root"
	opts.Listen = "10350"
	opts.PodCIDR = "10.88.0.0"
	opts.ContainerLogMaxSize = "lots"
	opts.InsecureRegistries = []string{"http://127.0.0.1:5000"}
	err := opts.Validate()
	for _, want := range []string{
		`rootDir (--root-dir): "relative/root" is not an absolute path`,
		`listen (--listen): "10350" is not HOST:PORT`,
		`podCIDR (--pod-cidr): "10.88.0.0" is not a CIDR`,
		`containerLogMaxSize (--container-log-max-size): "lots" is not a size`,
		`insecureRegistries (--insecure-registry): "http://127.0.0.1:5000" is not a registry HOST[:PORT]`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// deploy/config.yaml is what `make install` puts in /etc/minikubelet: it
// must load, and since it documents the defaults, hold exactly them.
func TestShippedConfigHoldsTheDefaults(t *testing.T) {
	opts, err := LoadConfigFile(filepath.Join("..", "..", "deploy", "config.yaml"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultOptions(); !reflect.DeepEqual(opts, want) {
		t.Fatalf("deploy/config.yaml differs from DefaultOptions:\n file: %+v\n want: %+v", opts, want)
	}
}
