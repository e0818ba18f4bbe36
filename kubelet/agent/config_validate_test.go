package agent

import (
	"strings"
	"testing"
	"time"
)

// validateErr runs Validate on the defaults changed by edit.
func validateErr(edit func(*Options)) error {
	opts := DefaultOptions()
	edit(&opts)
	return opts.Validate()
}

func TestValidateRefusesNonPositiveCNIDurations(t *testing.T) {
	for _, value := range []time.Duration{0, -time.Second} {
		err := validateErr(func(o *Options) { o.CNICheckInterval, o.CNILeakGrace = value, value })
		for _, want := range []string{
			"cniCheckInterval (--cni-check-interval): must be more than zero, such as 10s (the default)",
			"cniLeakGrace (--cni-leak-grace): must be more than zero, such as 3m0s (the default)",
		} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%v: error lacks %q:\n%v", value, want, err)
			}
		}
	}
	if err := validateErr(func(o *Options) { o.CNICheckInterval, o.CNILeakGrace = time.Millisecond, time.Nanosecond }); err != nil {
		t.Errorf("short but positive durations refused: %v", err)
	}
}

func TestLoadConfigFileRefusesZeroCNIDurations(t *testing.T) {
	path := writeConfig(t, "cniCheckInterval: 0s\ncniLeakGrace: -1m\n")
	_, err := LoadConfigFile(path, DefaultOptions())
	for _, want := range []string{"config file " + path, "cniCheckInterval (--cni-check-interval)", "cniLeakGrace (--cni-leak-grace)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestValidateListenAddress(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:10350", "[::1]:0", "localhost:10350", "unix:///run/minikubelet/api.sock"} {
		if err := validateErr(func(o *Options) { o.Listen = listen }); err != nil {
			t.Errorf("%q refused: %v", listen, err)
		}
	}
	for listen, want := range map[string]string{
		"10350":                 `listen (--listen): "10350" is not HOST:PORT, such as 127.0.0.1:10350, or unix:///PATH`,
		"unix://":               `listen (--listen): "unix://" is not unix:// followed by a socket's absolute path, such as unix:///run/minikubelet/api.sock`,
		"unix://api.sock":       `listen (--listen): "unix://api.sock" is not unix:// followed by a socket's absolute path`,
		"unix:///run/":          `listen (--listen): "unix:///run/" is not unix:// followed by a socket's absolute path`,
		"/run/minikubelet.sock": `listen (--listen): "/run/minikubelet.sock" is not HOST:PORT`,
	} {
		err := validateErr(func(o *Options) { o.Listen = listen })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error lacks %q:\n%v", listen, want, err)
		}
	}
}

// A unix socket in a config file must load: the API serves it.
func TestLoadConfigFileAcceptsUnixListen(t *testing.T) {
	opts, err := LoadConfigFile(writeConfig(t, "listen: unix:///run/minikubelet/api.sock\n"), DefaultOptions())
	if err != nil || opts.Listen != "unix:///run/minikubelet/api.sock" {
		t.Fatalf("listen %q, err %v", opts.Listen, err)
	}
}

func TestValidateRefusesAnUnprotectedExposedAPI(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Options)
		want []string // empty: accepted
	}{
		{"loopback, generated certificate", func(o *Options) { o.Listen = "127.0.0.1:10350" }, nil},
		{"unix socket", func(o *Options) { o.Listen = "unix:///run/mk.sock" }, nil},
		{"all interfaces, own certificate and token", func(o *Options) {
			o.Listen, o.TLSCertFile, o.TLSKeyFile, o.TokenFile = "0.0.0.0:10350", "/etc/mk/tls.crt", "/etc/mk/tls.key", "/etc/mk/token"
		}, nil},
		{"one address, own certificate, generated token", func(o *Options) {
			o.Listen, o.TLSCertFile, o.TLSKeyFile = "192.168.1.5:10350", "/etc/mk/tls.crt", "/etc/mk/tls.key"
		}, nil},
		{"all interfaces, generated certificate", func(o *Options) { o.Listen = ":10350" }, []string{
			"listen, tlsCertFile, tlsPrivateKeyFile: --listen :10350 would serve the API to other machines with a certificate they cannot verify",
			"add --tls-cert-file and --tls-private-key-file (a certificate for this machine's names), or listen on 127.0.0.1",
		}},
		{"certificate without key", func(o *Options) { o.TLSCertFile = "/etc/mk/tls.crt" }, []string{
			"tlsCertFile (--tls-cert-file): goes with tlsPrivateKeyFile (--tls-private-key-file): give both, or neither",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := validateErr(tc.edit)
			if len(tc.want) == 0 && err != nil {
				t.Fatalf("refused: %v", err)
			}
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// One bad setting is one problem: an address that is not HOST:PORT, or a
// lone certificate, is not reported again by the exposure check.
func TestValidateReportsABadListenOnce(t *testing.T) {
	for name, edit := range map[string]func(*Options){
		"not an address":   func(o *Options) { o.Listen = "0.0.0.0" },
		"lone key exposed": func(o *Options) { o.Listen, o.TLSKeyFile = "0.0.0.0:1", "/k" },
	} {
		err := validateErr(edit)
		if err == nil || strings.Count(err.Error(), "\n")+1 != 1 || strings.Contains(err.Error(), "would serve") {
			t.Errorf("%s: want exactly one problem, got:\n%v", name, err)
		}
	}
}

// A config file may expose the API when the command line brings a
// certificate, so the file alone loads; the merged options are what Run
// refuses.
func TestExposedAPIIsCheckedOnTheMergedOptions(t *testing.T) {
	path := writeConfig(t, "listen: 0.0.0.0:10350\n")
	opts, err := LoadConfigFile(path, DefaultOptions())
	if err != nil {
		t.Fatalf("a file exposing the API was refused before flags could protect it: %v", err)
	}
	if err := opts.Validate(); err == nil || !strings.Contains(err.Error(), "listen, tlsCertFile, tlsPrivateKeyFile: --listen 0.0.0.0:10350 would serve") {
		t.Fatalf("merged options without a certificate: got %v", err)
	}
}

// The bridge also names the masquerade chain: a name cni.New would refuse
// is refused before the runtime (perhaps a managed one) is started.
func TestValidateBridgeName(t *testing.T) {
	err := validateErr(func(o *Options) { o.BridgeName = "a-bridge-name-too-long" })
	if err == nil || !strings.Contains(err.Error(), `bridgeName (--bridge-name): bridge name "a-bridge-name-too-long": use 1 to 15 letters`) {
		t.Fatalf("got %v", err)
	}
}

func TestValidateMaxPods(t *testing.T) {
	for _, n := range []int{1, 110, maxMaxPods} {
		if err := validateErr(func(o *Options) { o.MaxPods = n }); err != nil {
			t.Errorf("maxPods %d refused: %v", n, err)
		}
	}
	for n, want := range map[int]string{
		0:              "maxPods (--max-pods): must be more than zero, such as 110 (the default, as the kubelet's)",
		-5:             "maxPods (--max-pods): must be more than zero",
		maxMaxPods + 1: "maxPods (--max-pods): 10001 is more than 10000, far past what a node runs: use at most 10000, such as 110 (the default)",
	} {
		err := validateErr(func(o *Options) { o.MaxPods = n })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("maxPods %d: error lacks %q:\n%v", n, want, err)
		}
	}
}

func TestLoadConfigFileReadsMaxPods(t *testing.T) {
	opts, err := LoadConfigFile(writeConfig(t, "maxPods: 250\n"), DefaultOptions())
	if err != nil || opts.MaxPods != 250 {
		t.Fatalf("maxPods %d, err %v", opts.MaxPods, err)
	}
	path := writeConfig(t, "maxPods: 0\nmax-pods: 3\n")
	_, err = LoadConfigFile(path, DefaultOptions())
	for _, want := range []string{"config file " + path, "maxPods (--max-pods): must be more than zero", `unknown field "max-pods" (did you mean "maxPods"?)`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if opts := DefaultOptions(); opts.MaxPods != 110 {
		t.Errorf("default maxPods %d, want the kubelet's 110", opts.MaxPods)
	}
}

func TestValidateClusterOptions(t *testing.T) {
	for name, edit := range map[string]func(*Options){
		"standalone, any node name": func(o *Options) { o.NodeName = "My_Host" },
		"joined, valid name and IP": func(o *Options) {
			o.Kubeconfig, o.NodeName, o.NodeIP = "/etc/minikubelet/cluster.kubeconfig", "worker-1.example", "192.168.1.10"
		},
		"joined, IPv6": func(o *Options) { o.Kubeconfig, o.NodeName, o.NodeIP = "k", "w", "fd00::1" },
	} {
		if err := validateErr(edit); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	for want, edit := range map[string]func(*Options){
		`nodeName (--node-name): "My_Host" cannot name a Node in a cluster (kubeconfig, --kubeconfig, is set): use lowercase letters, digits, '-' and '.', such as "my-host"`: func(o *Options) {
			o.Kubeconfig, o.NodeName = "k", "My_Host"
		},
		`nodeIP (--node-ip): "10.0.0" is not an IP address such as 192.168.1.10`:                                                                                          func(o *Options) { o.Kubeconfig, o.NodeIP = "k", "10.0.0" },
		"kubeletPort (--kubelet-port): 0 is not a TCP port (1-65535)":                                                                                                     func(o *Options) { o.KubeletPort = 0 },
		"kubeletPort (--kubelet-port): 70000 is not a TCP port (1-65535)":                                                                                                 func(o *Options) { o.KubeletPort = 70000 },
		"clientCAFile (--client-ca-file): is for the node endpoint of a cluster: set kubeconfig (--kubeconfig) too, or drop it":                                           func(o *Options) { o.ClientCAFile = "/ca.crt" },
		`nodeIP (--node-ip): is the Node's address in a cluster: set kubeconfig (--kubeconfig) too, or drop it`:                                                           func(o *Options) { o.NodeIP = "10.0.0.1" },
		"nodeIP (--node-ip): 127.0.0.1 cannot be reached from other hosts: use an address of this host's network interface, such as the one `ip route get 1.1.1.1` names": func(o *Options) { o.Kubeconfig, o.NodeIP = "k", "127.0.0.1" },
		"nodeIP (--node-ip): 0.0.0.0 cannot be reached from other hosts: use an address of this host's network interface, such as the one `ip route get 1.1.1.1` names":   func(o *Options) { o.Kubeconfig, o.NodeIP = "k", "0.0.0.0" },
	} {
		if err := validateErr(edit); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestLoadConfigFileSetsClusterFields(t *testing.T) {
	path := writeConfig(t, "kubeconfig: /etc/minikubelet/cluster.kubeconfig\nnodeIP: 192.168.1.10\nnodeName: worker-1\n")
	opts, err := LoadConfigFile(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if opts.Kubeconfig != "/etc/minikubelet/cluster.kubeconfig" || opts.NodeIP != "192.168.1.10" {
		t.Errorf("kubeconfig %q, nodeIP %q", opts.Kubeconfig, opts.NodeIP)
	}
}

func TestNodeNameFromHostname(t *testing.T) {
	for _, tc := range []struct{ host, kubeconfig, want, wantErr string }{
		{host: "MyHost", want: "MyHost"},                             // standalone: pods already carry it
		{host: "MyHost", kubeconfig: "k", want: "myhost"},            // a Node's name is lowercase, as the kubelet's
		{host: "build_box", want: "build_box"},                       // any name goes standalone
		{host: "build_box", kubeconfig: "k", wantErr: `"build-box"`}, // names the fix
	} {
		got, err := nodeNameFromHostname(tc.host, tc.kubeconfig)
		if got != tc.want || (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%q with kubeconfig %q = %q, %v; want %q and an error containing %q", tc.host, tc.kubeconfig, got, err, tc.want, tc.wantErr)
		}
	}
}
