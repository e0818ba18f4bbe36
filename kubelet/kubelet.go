package kubelet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/prober"
	"github.com/minikubelet/minikubelet/kubelet/volume"
)

// Config holds what the sync loop needs; New fills in defaults.
type Config struct {
	Runtime Runtime
	Images  ImageService
	// Events is the runtime's container event stream, nil for a runtime
	// without one; the relist alone then notices changes.
	Events EventSource
	// RuntimeName prefixes container IDs in status ("containerd://…").
	RuntimeName string
	// RuntimeVersion is the runtime's version from the CRI Version call,
	// for what only some versions do (image volumes).
	RuntimeVersion string
	RuntimeHandler string
	NodeName       string
	// NodeIPs are the node's IPs, primary first, for the downward API's
	// status.hostIP(s); nil when not known.
	NodeIPs []string
	// RootDir holds pod volumes (emptyDir) and managed files.
	RootDir string
	// PodLogDir is where each pod gets <ns>_<name>_<uid>/<container>/<n>.log.
	PodLogDir string
	// CgroupParent is the parent of every pod's cgroup, e.g. "/minikubelet";
	// empty leaves cgroup placement to the runtime.
	CgroupParent string
	// CgroupRoot is where cgroup hierarchies are mounted (/sys/fs/cgroup).
	CgroupRoot string
	// ResolvConf gives pods the host's DNS settings.
	ResolvConf string
	// RelistPeriod is how often the runtime is relisted to notice changes.
	RelistPeriod time.Duration
	// NetworkReady, when set, must return nil before a pod that is not on
	// the host network gets a sandbox; its error is shown as NetworkNotReady.
	NetworkReady func(ctx context.Context) error
	// WaitRuntime, when set, blocks while the runtime is known to be down
	// (cri.Client.WaitAvailable), so the loops wait instead of failing.
	WaitRuntime func(ctx context.Context) error
	Metrics     Metrics
	// Exec runs exec probes and hooks (the CRI client); Registerer gets
	// prober_probe_total.
	Exec       prober.Runtime
	Registerer prometheus.Registerer
	// MaxPods is how many pods may run at once (the kubelet's maxPods);
	// more wait, Pending with reason OutOfpods, until a slot frees.
	// Zero means DefaultMaxPods.
	MaxPods int
	// Sources supply the desired pods; Run runs them.
	Sources []PodSource
	// PodObjects reads the ConfigMaps, Secrets and tokens that pods from
	// the API server refer to; nil on a standalone node.
	PodObjects volume.Objects
	// Services gives the Services whose variables a pod's containers get;
	// nil on a standalone node (no variables, as the kubelet without an
	// API server).
	Services interface {
		ForPod(namespace string, enableServiceLinks *bool, static bool) ([]*v1.Service, error)
	}
	// Allocatable is what the node offers pods (cpu, memory, ...): the
	// downward API's limits of a container that sets none, as the kubelet.
	Allocatable v1.ResourceList
	// OnEvent, when set, is told of every event recorded on a pod (the
	// cluster's event recorder). It is called with the agent's lock held,
	// so it must neither block nor call back into the Kubelet.
	OnEvent func(PodEvent)
	Logger  *slog.Logger
	Now     func() time.Time
}

// Kubelet keeps the runtime's pods equal to the desired pods.
type Kubelet struct {
	cfg          Config
	log          *slog.Logger
	workers      *podWorkers
	relister     *relister
	crashBackoff *backoff
	pullBackoff  *backoff
	startRetry   *backoff
	pulls        singleflight.Group
	probes       Probes

	mu             sync.Mutex
	pods           map[types.UID]*podRecord
	sources        sourceSets
	manifestErrors []ManifestError
	// desiredSeen is set once every source has delivered its pods.
	desiredSeen bool
	version     uint64
	changed     chan struct{}
	// Touched only by the relister's goroutine.
	relists        int
	nextOrphanScan time.Time
	// cgroupHousekeeping asks runCgroupHousekeeping for a pass.
	cgroupHousekeeping chan struct{}
	// eventsAnnounced is set once the event stream was first reported.
	eventsAnnounced atomic.Bool
	// started is when New made this Kubelet: containers created before it
	// belong to an earlier life of the agent.
	started time.Time
	// nodeConditions show on every pod (node_conditions.go).
	nodeConditions []v1.PodCondition
	// removed are pods finishDeletion saw gone from the runtime that the
	// last relist may still show: admission counts no slot for them.
	removed map[types.UID]bool
	// final are the final statuses of removed cluster pods, kept until
	// the API server has them (FinalStatus).
	final map[types.UID]finalStatus
	// pendingGrace is the deletion grace of pods not tracked yet, given to
	// them when a relist adopts them (SetDeletionGracePeriod).
	pendingGrace map[types.UID]int64
}

// orphanScanInterval is the time between scans for pod files left
// behind; the first relist after the manifests were read scans too. By
// time, not relists: relists are rare while the runtime's events flow.
const orphanScanInterval = time.Minute

// New checks the configuration and fills in defaults.
func New(cfg Config) (*Kubelet, error) {
	if cfg.Runtime == nil || cfg.Images == nil {
		return nil, errors.New("kubelet: a CRI runtime and image service are required")
	}
	if cfg.NodeName == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("kubelet: finding the node name: %w", err)
		}
		cfg.NodeName = host
	}
	if cfg.RootDir == "" {
		cfg.RootDir = "/var/lib/minikubelet"
	}
	if cfg.PodLogDir == "" {
		cfg.PodLogDir = "/var/log/pods"
	}
	if cfg.CgroupRoot == "" {
		cfg.CgroupRoot = "/sys/fs/cgroup"
	}
	if cfg.ResolvConf == "" {
		cfg.ResolvConf = "/etc/resolv.conf"
	}
	if cfg.MaxPods < 0 {
		return nil, fmt.Errorf("kubelet: maxPods %d is negative", cfg.MaxPods)
	}
	if cfg.MaxPods == 0 {
		cfg.MaxPods = DefaultMaxPods
	}
	if cfg.RelistPeriod == 0 {
		cfg.RelistPeriod = time.Second
	}
	if cfg.RuntimeName == "" {
		cfg.RuntimeName = "cri"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	k := &Kubelet{
		cfg:          cfg,
		log:          cfg.Logger,
		crashBackoff: newBackoff(10*time.Second, 5*time.Minute, cfg.Now),
		pullBackoff:  newBackoff(10*time.Second, 5*time.Minute, cfg.Now),
		startRetry:   newBackoff(time.Second, 30*time.Second, cfg.Now),
		pods:         map[types.UID]*podRecord{},
		removed:      map[types.UID]bool{},
		final:        map[types.UID]finalStatus{},
		pendingGrace: map[types.UID]int64{},
		sources:      newSourceSets(sourceNames(cfg.Sources)),
		changed:      make(chan struct{}),

		cgroupHousekeeping: make(chan struct{}, 1),
		started:            cfg.Now(),
	}
	k.workers = newPodWorkers(k.syncPod, cfg.Logger)
	probes, err := k.newProbes()
	if err != nil {
		return nil, err
	}
	k.probes = probes
	k.relister = newRelister(cfg.Runtime, cfg.NodeName, cfg.RelistPeriod, cfg.Metrics, cfg.Logger)
	k.relister.waitRuntime = cfg.WaitRuntime
	return k, nil
}

// Run runs the pod sources, relists the runtime, adopts what this agent
// created before, and keeps syncing pods until ctx ends or a source fails.
// Pods keep running after it returns.
func (k *Kubelet) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	k.workers.start(ctx)
	defer k.probes.Stop()
	defer k.workers.wait()
	for _, source := range k.cfg.Sources {
		g.Go(func() error { return source.Run(ctx, k.SetSourcePods) })
	}
	if k.cfg.Events != nil {
		g.Go(func() error { k.watchEvents(ctx, k.cfg.Events); return nil })
	}
	g.Go(func() error { return k.relister.run(ctx, k.handleRelist) })
	g.Go(func() error { k.runCgroupHousekeeping(ctx); return nil })
	g.Go(func() error { k.runVolumeRefresh(ctx); return nil })
	return g.Wait()
}

func sourceNames(sources []PodSource) []string {
	names := make([]string, 0, len(sources))
	for _, s := range sources {
		names = append(names, s.Name())
	}
	return names
}

// CountPods reports the ready sandboxes and the containers by state that
// the last relist saw, for kubelet_running_pods/containers.
func (k *Kubelet) CountPods() (running int, containersByState map[string]int) {
	counts := k.relister.counts.Load()
	if counts == nil {
		return 0, map[string]int{}
	}
	return counts.ReadySandboxes, counts.Containers
}

// SetSourcePods replaces one source's desired pods and manifest errors.
// Pods that appeared, vanished or changed get synced; their workers pick
// up the newest spec, so updates to a busy pod collapse into the latest.
func (k *Kubelet) SetSourcePods(update SourceUpdate) {
	now := k.cfg.Now()
	k.mu.Lock()
	k.sources.set(update)
	pods, errs := k.sources.merged()
	wanted := make(map[types.UID]DesiredPod, len(pods))
	for _, p := range pods {
		wanted[p.Pod.UID] = p
	}
	var touched, deleted []types.UID
	for uid, rec := range k.pods {
		if _, ok := wanted[uid]; !ok && rec.desired != nil {
			rec.desired = nil
			deleted = append(deleted, uid)
		}
	}
	for uid, p := range wanted {
		rec, ok := k.pods[uid]
		if !ok {
			rec = newPodRecord(p.Pod, now)
			k.pods[uid] = rec
		}
		// A pod that just finished by its source's word is synced too: its
		// worker stops whatever of it still runs. So is an API pod the API
		// server changed in place (a new image, activeDeadlineSeconds, a
		// readiness gate's condition), as the kubelet syncs every update:
		// its source hands over a new pointer only then (apipods.specOnly).
		if !ok || rec.desired == nil || rec.finished != p.Finished || (p.Source == SourceAPI && rec.desired != p.Pod) {
			touched = append(touched, uid)
		}
		if rec.lastPod != p.Pod || rec.stale != p.Stale || rec.finished != p.Finished {
			k.bump(rec)
		}
		rec.desired, rec.lastPod, rec.source, rec.file, rec.stale, rec.finished = p.Pod, p.Pod, p.Source, p.File, p.Stale, p.Finished
	}
	for _, uid := range deleted {
		k.bump(k.pods[uid])
	}
	k.manifestErrors = errs
	k.bump(nil)
	k.desiredSeen = k.sources.complete()
	k.mu.Unlock()
	k.cfg.Metrics.SetDesiredPods(len(pods))

	for _, uid := range deleted {
		k.workers.cancelInFlight(uid)
		k.workers.enqueue(uid)
	}
	for _, uid := range touched {
		k.workers.enqueue(uid)
	}
}

// handleRelist is called by the relister after every relist with the UIDs
// whose runtime state changed, what the relist listed of each, and every
// UID the runtime has.
func (k *Kubelet) handleRelist(changed, present []types.UID, listed map[types.UID]podObjects) {
	k.handleRuntimeChanges(changed, present, func(uid types.UID, rec *podRecord) bool {
		return maps.Equal(rec.observedObjects, listed[uid])
	})
}

// handleRuntimeChanges wakes the pods whose runtime state changed, except
// those whose worker already saw the change (seen, under k.mu): after
// acting, a worker observes its pod (four CRI calls), and the relist that
// lists the same new sandbox and container, and the runtime's events for
// them, woke it to observe the same again, most of a start's CRI calls.
// present is every UID the runtime has, nil for an event. A UID
// the agent does not track yet (a pod created before a restart, or one whose
// manifest was deleted while the agent was down) gets a worker, but only once
// the manifests have been read, so adoption never tears down a wanted pod.
func (k *Kubelet) handleRuntimeChanges(changed, present []types.UID, seen func(types.UID, *podRecord) bool) {
	if present != nil {
		k.relists++
		if now := k.cfg.Now(); !now.Before(k.nextOrphanScan) {
			defer func() {
				if k.collectOrphanedPodDirs() {
					k.nextOrphanScan = now.Add(orphanScanInterval)
					k.requestCgroupHousekeeping()
				}
			}()
		}
	}
	k.mu.Lock()
	if present != nil && len(k.removed) > 0 {
		k.forgetRemovedLocked(present)
	}
	var wake []types.UID
	if present != nil && k.relists == 1 {
		wake = k.unadmittedLocked() // they waited for this relist to count slots
	}
	if k.desiredSeen {
		for _, uid := range present {
			if _, ok := k.pods[uid]; !ok {
				rec := &podRecord{firstSeen: k.cfg.Now()}
				if seconds, ok := k.pendingGrace[uid]; ok {
					rec.deletionGrace = &seconds
				}
				k.pods[uid] = rec
				wake = append(wake, uid)
			}
		}
	}
	if present != nil && len(k.pendingGrace) > 0 {
		k.forgetPendingGraceLocked(present)
	}
	for _, uid := range changed {
		if rec, ok := k.pods[uid]; ok && !seen(uid, rec) {
			wake = append(wake, uid)
		}
	}
	k.mu.Unlock()
	for _, uid := range wake {
		k.workers.enqueue(uid)
	}
}

// forgetPendingGraceLocked drops the pending grace of pods now tracked,
// and of pods the runtime does not hold (nothing to adopt, nothing to
// stop), so the map does not grow with every deleted pod. Callers hold
// k.mu.
func (k *Kubelet) forgetPendingGraceLocked(present []types.UID) {
	held := make(map[types.UID]bool, len(present))
	for _, uid := range present {
		held[uid] = true
	}
	for uid := range k.pendingGrace {
		if _, tracked := k.pods[uid]; tracked || !held[uid] {
			delete(k.pendingGrace, uid)
		}
	}
}
