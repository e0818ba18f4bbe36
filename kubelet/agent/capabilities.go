package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet"
)

// eventsProbeTimeout bounds the start-up check for a container event
// stream; a runtime that neither refuses nor keeps the stream open by then
// is reported as without events (the sync loop decides on its own anyway).
const eventsProbeTimeout = 5 * time.Second

// capabilityRuntime is what the start-up capability check asks the runtime.
type capabilityRuntime interface {
	RuntimeName() string
	RuntimeVersion() string
	Status(ctx context.Context, verbose bool) (*runtimeapi.StatusResponse, error)
	RuntimeConfig(ctx context.Context) (*runtimeapi.RuntimeConfigResponse, error)
	GetContainerEvents(ctx context.Context, containerEventsCh chan *runtimeapi.ContainerEventResponse, connectionEstablishedCallback func(runtimeapi.RuntimeService_GetContainerEventsClient)) error
}

// capabilities is what the runtime offers the agent; the runtimes differ
// (containerd 1.6 has neither RuntimeConfig nor events, CRI-O streams
// events only with enable_pod_events), and the log line says which apply.
type capabilities struct {
	// cgroupDriver is "cgroupfs", "systemd", or assumedCgroupfs when the
	// runtime does not answer RuntimeConfig (containerd before 1.7).
	cgroupDriver string
	// conditions maps RuntimeReady/NetworkReady to their status.
	conditions map[string]bool
	// events tells whether the runtime keeps a container event stream open.
	events bool
	// eventsNote says why events are off, when they are.
	eventsNote string
}

// detectCgroupDriver asks the runtime for its cgroup driver.
// assumedCgroupfs is the driver said for a runtime that cannot tell.
const assumedCgroupfs = "cgroupfs (assumed: the runtime has no RuntimeConfig)"

func detectCgroupDriver(ctx context.Context, rt capabilityRuntime) (string, error) {
	resp, err := rt.RuntimeConfig(ctx)
	switch {
	case err == nil:
		return strings.ToLower(resp.GetLinux().GetCgroupDriver().String()), nil
	case errors.Is(err, context.Canceled):
		return "", err
	default:
		// containerd 1.6 has no RuntimeConfig; it places pods with cgroupfs
		// unless told SystemdCgroup, which the agent's checks assume.
		return assumedCgroupfs, nil
	}
}

// checkCgroupParent refuses a cgroupfs-style parent with a runtime that
// places pods through systemd, where RunPodSandbox would fail for every pod
// with a message about cgroup paths that does not name the flag.
func checkCgroupParent(runtimeName, driver, parent string) error {
	if driver != "systemd" || parent == "" || strings.HasSuffix(parent, ".slice") {
		return nil
	}
	return fmt.Errorf("%s uses the systemd cgroup driver, so --cgroup-parent must be a systemd slice such as minikubelet.slice, not %q (or set the runtime to cgroupfs)", runtimeName, parent)
}

// probeCapabilities gathers the readiness conditions and whether events
// flow; failures of these optional calls are noted, not fatal.
func probeCapabilities(ctx context.Context, rt capabilityRuntime, driver string) capabilities {
	caps := capabilities{cgroupDriver: driver, conditions: map[string]bool{}}
	if resp, err := rt.Status(ctx, false); err == nil {
		for _, c := range resp.GetStatus().GetConditions() {
			caps.conditions[c.GetType()] = c.GetStatus()
		}
	}
	caps.events, caps.eventsNote = probeEvents(ctx, rt)
	return caps
}

// probeEvents opens the runtime's container event stream and reports
// whether it stays open. The CRI client calls back only once the stream
// has proven itself, so a refusal (containerd 1.6) or an immediate close
// (CRI-O without enable_pod_events) reads as no events.
func probeEvents(ctx context.Context, rt capabilityRuntime) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, eventsProbeTimeout)
	defer cancel()
	established := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		// Buffered and never read: events during the probe are the sync
		// loop's business, and a full buffer just blocks the probe until
		// it is canceled.
		events := make(chan *runtimeapi.ContainerEventResponse, 16)
		done <- rt.GetContainerEvents(ctx, events, func(runtimeapi.RuntimeService_GetContainerEventsClient) { close(established) })
	}()
	select {
	case <-established:
		cancel()
		<-done
		return true, ""
	case err := <-done:
		if err == nil {
			return false, "probe timed out"
		}
		if errors.Is(err, cri.ErrEventsUnsupported) {
			return false, "runtime has no container event stream; relisting only"
		}
		return false, err.Error()
	}
}

// logCapabilities writes the one start-up line that says what this runtime
// offers and so which code paths the agent uses.
func logCapabilities(log *slog.Logger, rt capabilityRuntime, caps capabilities, relist time.Duration) {
	attrs := []any{
		"runtime", rt.RuntimeName(), "version", rt.RuntimeVersion(),
		"cgroupDriver", caps.cgroupDriver, "events", caps.events,
		"runtimeReady", caps.conditions[runtimeapi.RuntimeReady],
		"networkReady", caps.conditions[runtimeapi.NetworkReady],
		"relistPeriod", relist,
	}
	if caps.events {
		// The relist is a safety net while the events flow.
		attrs = append(attrs, "relistPeriodWithEvents", max(relist, kubelet.EventedRelistPeriod))
	}
	if caps.eventsNote != "" {
		attrs = append(attrs, "eventsNote", caps.eventsNote)
	}
	log.Info("runtime capabilities", attrs...)
}
