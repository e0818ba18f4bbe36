package prober

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Config holds what a Manager needs; only Runtime is required.
type Config struct {
	// Runtime runs exec probes and exec hooks.
	Runtime Runtime
	// Registerer gets the prober_probe_total counter; nil leaves it
	// unregistered.
	Registerer prometheus.Registerer
	// Logger gets one line per result change; nil means slog.Default().
	Logger *slog.Logger
	// OnChange is called, from a worker goroutine, when a result that
	// Ready, Started or LivenessFailed report has changed for a pod: the
	// sync loop should re-sync that pod. It must not block for long.
	OnChange func(podUID types.UID)
	// OnEvent receives the kubelet's probe warnings ("Liveness probe
	// failed: …", reason Unhealthy), one per failed or errored run, for the
	// pod's event list. It must not block for long.
	OnEvent func(Event)
}

// RunningContainer is a running container of a pod, as the sync loop
// observed it.
type RunningContainer struct {
	// Name is the container's name in the pod spec.
	Name string
	// ID is the runtime's container ID.
	ID string
	// StartedAt is when the runtime started it; initialDelaySeconds counts
	// from here.
	StartedAt time.Time
}

// Event is a probe warning for the pod's event list.
type Event struct {
	// PodUID is the pod the probe belongs to.
	PodUID types.UID
	// Container is the probed container's name.
	Container string
	// Reason is EventUnhealthy or EventProbeWarning.
	Reason string
	// Message reads like the kubelet's: "Readiness probe failed: HTTP probe
	// failed with statuscode: 500 (…)".
	Message string
}

// EventUnhealthy is the kubelet's event reason for failed and errored
// probe runs.
const EventUnhealthy = "Unhealthy"

// EventProbeWarning is the kubelet's event reason for a probe that passed
// with a warning (an HTTP probe redirected to another host).
const EventProbeWarning = "ProbeWarning"

// Restart says why a running container must be killed and started again
// (per the pod's restartPolicy).
type Restart struct {
	// Probe is Liveness or Startup.
	Probe ProbeType
	// Message is the kubelet's: "Container kubia failed liveness probe,
	// will be restarted".
	Message string
	// GracePeriodSeconds is the probe's terminationGracePeriodSeconds,
	// which replaces the pod's for this kill; nil when the probe has none.
	GracePeriodSeconds *int64
}

// Manager runs the probes of every pod it is told about.
type Manager struct {
	cfg     Config
	log     *slog.Logger
	metrics *probeMetrics
	http    *http.Client

	// ctx is the parent of every worker's context; Stop ends it.
	ctx     context.Context
	cancel  context.CancelFunc
	running sync.WaitGroup

	mu      sync.Mutex
	pods    map[types.UID]*podProbes
	stopped bool
}

// podProbes is what the manager knows of one pod.
type podProbes struct {
	pod        *v1.Pod
	podIP      string
	containers map[string]*containerProbes // by container ID
}

// containerProbes holds one running container's workers and their
// committed results. Fields after cancel are guarded by Manager.mu.
type containerProbes struct {
	uid       types.UID
	id        string
	spec      *v1.Container
	startedAt time.Time
	cancel    context.CancelFunc
	// wake tells the liveness and readiness workers that startup passed.
	wake []chan struct{}

	started bool     // the startup probe passed, or there is none
	ready   bool     // the readiness probe passed, or there is none
	restart *Restart // a liveness or startup probe failed
}

// NewManager checks cfg and returns a Manager with no pods.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Runtime == nil {
		return nil, errors.New("prober: a runtime for exec probes is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	metrics, err := newProbeMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		cfg: cfg, log: cfg.Logger, metrics: metrics, http: newHTTPClient(),
		ctx: ctx, cancel: cancel, pods: map[types.UID]*podProbes{},
	}, nil
}

// Run blocks until ctx ends, then stops every worker and waits for them,
// so the manager fits an errgroup beside the sync loop.
func (m *Manager) Run(ctx context.Context) error {
	<-ctx.Done()
	m.Stop()
	return nil
}

// Stop ends every worker and waits until they have returned. Later
// UpdatePod calls do nothing.
func (m *Manager) Stop() {
	m.mu.Lock()
	m.stopped = true
	m.pods = map[types.UID]*podProbes{}
	m.mu.Unlock()
	m.cancel()
	m.running.Wait()
}

// UpdatePod is called after every sync of a pod with its running
// containers (app containers and restartable init containers): it starts
// workers for container IDs it has not seen and stops the workers of IDs
// no longer listed. podIP is the pod's address; it may be empty for a
// hostNetwork pod, whose probes then go to 127.0.0.1.
func (m *Manager) UpdatePod(pod *v1.Pod, podIP string, running []RunningContainer) {
	if pod == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	pp, ok := m.pods[pod.UID]
	if !ok {
		pp = &podProbes{containers: map[string]*containerProbes{}}
		m.pods[pod.UID] = pp
	}
	pp.pod, pp.podIP = pod, podIP
	listed := make(map[string]bool, len(running))
	for _, rc := range running {
		listed[rc.ID] = true
		if _, known := pp.containers[rc.ID]; known {
			continue
		}
		spec := findContainer(pod, rc.Name)
		if spec == nil || !hasProbes(spec) {
			continue
		}
		pp.containers[rc.ID] = m.startWorkers(pod.UID, spec, rc)
	}
	for id, c := range pp.containers {
		if !listed[id] {
			c.cancel()
			delete(pp.containers, id)
		}
	}
}

// RemovePod stops the pod's workers and forgets its results and metric
// series; call it when the pod is gone for good.
func (m *Manager) RemovePod(uid types.UID) {
	m.mu.Lock()
	if pp, ok := m.pods[uid]; ok {
		for _, c := range pp.containers {
			c.cancel()
		}
		delete(m.pods, uid)
	}
	m.mu.Unlock()
	m.metrics.forgetPod(uid)
}

// startWorkers starts one worker per probe of a new container. Callers
// hold m.mu.
func (m *Manager) startWorkers(uid types.UID, spec *v1.Container, rc RunningContainer) *containerProbes {
	ctx, cancel := context.WithCancel(m.ctx)
	c := &containerProbes{
		uid: uid, id: rc.ID, spec: spec, startedAt: rc.StartedAt, cancel: cancel,
		started: spec.StartupProbe == nil,
		ready:   spec.ReadinessProbe == nil,
	}
	for _, kind := range []ProbeType{Startup, Liveness, Readiness} {
		probe := probeOf(spec, kind)
		if probe == nil {
			continue
		}
		w := &worker{m: m, c: c, kind: kind, probe: probe, timing: timingOf(probe)}
		if kind != Startup {
			w.wake = make(chan struct{}, 1)
			c.wake = append(c.wake, w.wake)
		}
		m.running.Add(1)
		go w.run(ctx)
	}
	return c
}

// findContainer returns the spec of a container that may be probed: an
// app container, or an init container that keeps running (a sidecar).
func findContainer(pod *v1.Pod, name string) *v1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if c.Name == name && c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways {
			return c
		}
	}
	return nil
}

func hasProbes(c *v1.Container) bool {
	return c.LivenessProbe != nil || c.ReadinessProbe != nil || c.StartupProbe != nil
}
