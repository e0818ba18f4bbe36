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
