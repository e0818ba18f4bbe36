package cri

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults the constructor fills into a zero Config.
const (
	// DefaultConnectTimeout bounds Dial: finding the socket and the version
	// check together.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultCallTimeout bounds mutating calls; it matches kubelet's
	// --runtime-request-timeout default.
	DefaultCallTimeout = 2 * time.Minute
	// DefaultListTimeout bounds List*, *Status, stats and Version calls, which
	// the sync loop makes constantly and must not wait on for minutes.
	DefaultListTimeout = 15 * time.Second
	// DefaultPullTimeout bounds PullImage; big images on slow links take long.
	DefaultPullTimeout = 10 * time.Minute
)

// DefaultEndpoints returns the sockets Dial tries, in order, when
// Config.Endpoint is empty.
func DefaultEndpoints() []string {
	return []string{
		"unix:///run/containerd/containerd.sock",
		"unix:///var/run/crio/crio.sock",
	}
}

// Observer is told about every CRI call once it has finished. operation is
// kubelet's name for the call (e.g. "run_podsandbox", "list_containers"), so
// an implementation can feed kubelet-compatible metrics such as
// kubelet_runtime_operations_total{operation_type}.
type Observer interface {
	ObserveOperation(operation string, duration time.Duration, err error)
}

// Config says where the runtime is and how long calls may take. Zero fields
// get the defaults above.
type Config struct {
	// Endpoint is the runtime socket, "unix:///path" or a bare "/path".
	// Empty means try DetectEndpoints in order.
	Endpoint string
	// DetectEndpoints are tried when Endpoint is empty; nil means
	// DefaultEndpoints().
	DetectEndpoints []string
	// ConnectTimeout bounds Dial as a whole, but for one more look of at
	// most a second at a socket or at the version when the deadline cut
	// the first (see firstLook).
	ConnectTimeout time.Duration
	// WaitForRuntime makes Dial wait for a runtime that is not up yet for
	// as long as its context lasts, instead of ConnectTimeout: an agent
	// started before its runtime (boot order, a runtime restart) waits
	// for it, as it waits for a runtime that goes away later.
	WaitForRuntime bool
	// CallTimeout bounds each mutating call; StopContainer adds the grace
	// period to it and ExecSync the command's timeout.
	CallTimeout time.Duration
	// ListTimeout bounds each List*, *Status, stats and Version call.
	ListTimeout time.Duration
	// PullTimeout bounds each PullImage call.
	PullTimeout time.Duration
	// Logger receives connection events and, at debug level, one line per
	// call. Nil discards.
	Logger *slog.Logger
	// Observer, when set, is told about every call.
	Observer Observer
}

// withDefaults returns cfg with every zero field filled in, or an error
// naming the first field that cannot be used.
func (cfg Config) withDefaults() (Config, error) {
	timeouts := []struct {
		name  string
		value *time.Duration
		def   time.Duration
	}{
		{"ConnectTimeout", &cfg.ConnectTimeout, DefaultConnectTimeout},
		{"CallTimeout", &cfg.CallTimeout, DefaultCallTimeout},
		{"ListTimeout", &cfg.ListTimeout, DefaultListTimeout},
		{"PullTimeout", &cfg.PullTimeout, DefaultPullTimeout},
	}
	for _, t := range timeouts {
		switch {
		case *t.value < 0:
			return cfg, fmt.Errorf("cri.Config.%s is %s: use a positive duration, or zero for the default %s", t.name, *t.value, t.def)
		case *t.value == 0:
			*t.value = t.def
		}
	}
	if cfg.DetectEndpoints == nil {
		cfg.DetectEndpoints = DefaultEndpoints()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}
