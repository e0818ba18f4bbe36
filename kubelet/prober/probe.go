package prober

import (
	"time"

	v1 "k8s.io/api/core/v1"
)

// ProbeType names a probe the way the kubelet's metric label probe_type
// and its event messages do.
type ProbeType string

// The three probes a container can have.
const (
	Liveness  ProbeType = "Liveness"
	Readiness ProbeType = "Readiness"
	Startup   ProbeType = "Startup"
)

// Result is the outcome of one probe run, spelled as the kubelet's metric
// label result spells it.
type Result string

// Probe results. Unknown means the probe could not be run at all (no pod
// IP yet, a port name the container does not declare, a runtime error):
// the kubelet throws such runs away instead of counting them as failures.
const (
	Success Result = "successful"
	Failure Result = "failed"
	Unknown Result = "unknown"
)

// The kubelet's defaults for probe fields left at zero.
const (
	defaultPeriod           = 10 * time.Second
	defaultTimeout          = time.Second
	defaultSuccessThreshold = 1
	defaultFailureThreshold = 3
)

// maxOutput bounds the probe output kept for messages and events, like
// the kubelet's 10 KiB limit on probe response bodies.
const maxOutput = 10 * 1024

// outcome is what one probe run found.
type outcome struct {
	result Result
	// message is the output or reason worth showing to a user: the
	// command's output, the HTTP status, the dial error.
	message string
	// warning marks a success worth telling the user about: an HTTP probe
	// redirected off the probed host, whose redirect is not followed.
	warning bool
}

// timing is a probe's schedule and thresholds with the defaults applied.
type timing struct {
	initialDelay     time.Duration
	period           time.Duration
	timeout          time.Duration
	successThreshold int
	failureThreshold int
}

func timingOf(p *v1.Probe) timing {
	t := timing{
		initialDelay:     time.Duration(p.InitialDelaySeconds) * time.Second,
		period:           time.Duration(p.PeriodSeconds) * time.Second,
		timeout:          time.Duration(p.TimeoutSeconds) * time.Second,
		successThreshold: int(p.SuccessThreshold),
		failureThreshold: int(p.FailureThreshold),
	}
	if t.period <= 0 {
		t.period = defaultPeriod
	}
	if t.timeout <= 0 {
		t.timeout = defaultTimeout
	}
	if t.successThreshold <= 0 {
		t.successThreshold = defaultSuccessThreshold
	}
	if t.failureThreshold <= 0 {
		t.failureThreshold = defaultFailureThreshold
	}
	return t
}

// probeOf returns the container's probe of that type, or nil.
func probeOf(c *v1.Container, kind ProbeType) *v1.Probe {
	switch kind {
	case Liveness:
		return c.LivenessProbe
	case Readiness:
		return c.ReadinessProbe
	case Startup:
		return c.StartupProbe
	}
	return nil
}

// truncate keeps s within maxOutput so a chatty probe cannot bloat events.
func truncate(s string) string {
	if len(s) <= maxOutput {
		return s
	}
	return s[:maxOutput] + "… (truncated)"
}
