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
