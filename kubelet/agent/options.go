// Package agent wires minikubelet's parts together: the manifest source,
// the CRI client, the sync loop, the pod network and the HTTP API, all run
// under one errgroup so the first failure stops the rest cleanly.
package agent

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Options are the agent's settings; every flag of `minikubelet run` has one.
type Options struct {
	ManifestDir     string
	RuntimeEndpoint string
	RootDir         string
	PodLogDir       string
	NodeName        string
	Listen          string
	CgroupParent    string
	RelistPeriod    time.Duration
	ManifestRelist  time.Duration
	LogLevel        string
	LogFormat       string
}

// DefaultOptions are the kubelet-like defaults.
func DefaultOptions() Options {
	return Options{
		ManifestDir:    "/etc/minikubelet/manifests",
		RootDir:        "/var/lib/minikubelet",
		PodLogDir:      "/var/log/pods",
		Listen:         "127.0.0.1:10350",
		CgroupParent:   "/minikubelet",
		RelistPeriod:   time.Second,
		ManifestRelist: 20 * time.Second,
		LogLevel:       "info",
		LogFormat:      "text",
	}
}

// newLogger builds the agent's structured logger from the options.
func newLogger(opts Options) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", opts.LogLevel)
	}
	handlerOpts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(opts.LogFormat) {
	case "text", "":
		return slog.New(slog.NewTextHandler(os.Stderr, handlerOpts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, handlerOpts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: use text or json", opts.LogFormat)
	}
}
