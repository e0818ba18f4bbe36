package soak

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is what a soak run does, from the environment (make soak passes
// its variables through).
type Config struct {
	// Lifecycles is how many pods come and go (SOAK_LIFECYCLES): each
	// manifest version is one, so an edit ends one and starts another.
	Lifecycles int
	// Parallel is how many pods are kept alive at once (SOAK_PARALLEL).
	Parallel int
	// SampleEvery is how often the figures are sampled (SOAK_SAMPLE_EVERY).
	SampleEvery time.Duration
	// Kinds restricts the mix to these kinds (SOAK_KINDS, comma-separated),
	// to chase one leak; empty means all of them.
	Kinds []Kind
	// HoldMin and HoldMax bound how long a started pod is left running
	// before its next edit or its deletion.
	HoldMin, HoldMax time.Duration
}

// The defaults: 1000 lifecycles take about 15 minutes on 2 cores.
const (
	DefaultLifecycles  = 1000
	DefaultParallel    = 24
	DefaultSampleEvery = 10 * time.Second
)

// Bounds on the variables, so a typo cannot ask for a year-long run or
// for more pods at once than the pod network or the machine holds.
const (
	maxLifecycles  = 1_000_000
	maxParallel    = 100
	minSampleEvery = time.Second
	maxSampleEvery = 10 * time.Minute
)

// ConfigFromEnv reads the SOAK_* variables through getenv (os.Getenv);
// an unset or empty one takes its default.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Lifecycles: DefaultLifecycles, Parallel: DefaultParallel, SampleEvery: DefaultSampleEvery,
		HoldMin: time.Second, HoldMax: 5 * time.Second,
	}
	if err := intVar(getenv, "SOAK_LIFECYCLES", &cfg.Lifecycles, 1, maxLifecycles); err != nil {
		return Config{}, err
	}
	if err := intVar(getenv, "SOAK_PARALLEL", &cfg.Parallel, 1, maxParallel); err != nil {
		return Config{}, err
	}
	if value := getenv("SOAK_SAMPLE_EVERY"); value != "" {
		d, err := time.ParseDuration(value)
		if err != nil || d < minSampleEvery || d > maxSampleEvery {
			return Config{}, fmt.Errorf("SOAK_SAMPLE_EVERY=%q: want a duration from %s to %s, such as 10s", value, minSampleEvery, maxSampleEvery)
		}
		cfg.SampleEvery = d
	}
	if value := getenv("SOAK_KINDS"); value != "" {
		kinds, err := parseKinds(value)
		if err != nil {
			return Config{}, err
		}
		cfg.Kinds = kinds
	}
	return cfg, nil
}

func parseKinds(value string) ([]Kind, error) {
	var kinds []Kind
	for _, name := range strings.Split(value, ",") {
		kind := Kind(strings.TrimSpace(name))
		if !slices.Contains(Kinds(), kind) {
			return nil, fmt.Errorf("SOAK_KINDS=%q: %q is not a kind; the kinds are %s", value, kind, joinKinds(Kinds()))
		}
		kinds = append(kinds, kind)
	}
	return kinds, nil
}

func joinKinds(kinds []Kind) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func intVar(getenv func(string) string, name string, into *int, lowest, highest int) error {
	value := getenv(name)
	if value == "" {
		return nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < lowest || n > highest {
		return fmt.Errorf("%s=%q: want a whole number from %d to %d", name, value, lowest, highest)
	}
	*into = n
	return nil
}
