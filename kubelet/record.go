package kubelet

import (
	"sort"
	"strconv"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// maxEventsPerPod bounds each pod's event list; `describe` shows the newest.
const maxEventsPerPod = 50

// Event is one thing that happened to a pod, like a kubelet event.
type Event struct {
	Time      time.Time
	Type      string // v1.EventTypeNormal or v1.EventTypeWarning
	Reason    string
	Message   string
	Container string
}

// podRecord is the agent's memory of one pod UID. Everything here can be
// rebuilt from the manifests and the runtime; it is a cache, not the truth.
type podRecord struct {
	desired *v1.Pod // nil once the manifest is gone
	lastPod *v1.Pod // the last spec seen, kept while the pod terminates
	source  string  // the pod source that asks for it
	file    string
	stale   bool
	// finished is the terminal phase the source reports (DesiredPod.Finished).
	finished  v1.PodPhase
	firstSeen time.Time
	// deadlineExceeded is set once the pod ran past its
	// activeDeadlineSeconds: it stays Failed and runs nothing.
	deadlineExceeded bool

	status  v1.PodStatus
	waiting map[string]waitingState // container name → why it is not running
	events  []Event
	// startObserved is set once the pod-start latency has been recorded.
	startObserved bool
	observed      *observedPod
	// observedAt is when the newest complete observation of the runtime
	// began (a change the runtime stamped before it is in it), and
	// observedObjects what its lists showed (a relist showing the same
	// has nothing new for the pod).
	observedAt      time.Time
	observedObjects podObjects
	// final says status is the pod's final one, recorded once its
	// containers stopped after its deletion (recordFinalStatus).
	final bool
	// deletionGrace, when set, replaces the spec's grace period for this
	// pod's deletion (DeleteOptions.gracePeriodSeconds).
	deletionGrace *int64
	// fresh marks a pod that came from the manifests and has not been
	// synced yet.
	fresh bool
	// admitted says the pod holds one of the node's maxPods slots (see
	// admit.go); outOfPods, while it waits for one, says why.
	admitted  bool
	outOfPods string
	// allocation is what the pod's containers are allocated (allocate);
	// resizePending, why a resize of its spec is not, while it is not.
	allocation    allocation
	resizePending *resizePending
	// resizeError is why applying the allocation last failed.
	resizeError string
	// allocationLoaded says allocation was read back from the pod's
	// saved allocation, if any (allocation_state.go), and
	// allocationSaved that it is saved as it is.
	allocationLoaded, allocationSaved bool
	// version is the agent-wide change counter when this pod last changed;
	// it becomes the pod's resourceVersion for API watchers.
	version uint64
}

func newPodRecord(pod *v1.Pod, now time.Time) *podRecord {
	return &podRecord{desired: pod, lastPod: pod, firstSeen: now, fresh: true}
}

func (r *podRecord) addEvent(e Event) {
	r.events = append(r.events, e)
	if len(r.events) > maxEventsPerPod {
		r.events = append([]Event(nil), r.events[len(r.events)-maxEventsPerPod:]...)
	}
}

// PodEvent is an event recorded on a pod, for Config.OnEvent.
type PodEvent struct {
	// Pod is the pod's spec and metadata (the static pod's for the file
	// source); it must not be changed.
	Pod *v1.Pod
	// Source is the pod source that asks for it (SourceFile, SourceAPI).
	Source string
	Event
}

// recordLocked records e on rec's pod and tells Config.OnEvent. Callers
// hold k.mu.
func (k *Kubelet) recordLocked(rec *podRecord, e Event) {
	rec.addEvent(e)
	if k.cfg.OnEvent != nil && rec.lastPod != nil {
		k.cfg.OnEvent(PodEvent{Pod: rec.lastPod, Source: rec.source, Event: e})
	}
}

// PodView is a pod as users see it: spec, status, where it came from.
type PodView struct {
	Pod *v1.Pod
	// Source is the pod source that asks for the pod (SourceFile...).
	Source string
	// File is the manifest that defines the pod, for the file source.
	File string
	// Stale says the manifest is invalid right now and this is its last
	// good spec, still running.
	Stale bool
	// ManifestErrors are the problems of the pod's manifest, if any.
	ManifestErrors []string
	Events         []Event
	// Terminating says the manifest is gone and the pod is being stopped.
	Terminating bool
}

// Pods returns every pod the agent knows, sorted by namespace and name,
// including pods that exist only as a broken manifest.
func (k *Kubelet) Pods() []PodView {
	k.mu.Lock()
	defer k.mu.Unlock()
	var views []PodView
	seen := map[types.NamespacedName]bool{}
	errsByFile := map[string][]string{}
	for _, e := range k.manifestErrors {
		errsByFile[e.File] = append(errsByFile[e.File], e.Messages...)
	}
	for _, rec := range k.pods {
		if rec.lastPod == nil {
			continue // adopted orphan about to be removed
		}
		pod := rec.lastPod.DeepCopy()
		pod.Status = *rec.status.DeepCopy()
		k.addNodeConditions(&pod.Status)
		pod.ResourceVersion = strconv.FormatUint(rec.version, 10)
		if pod.Status.Phase == "" {
			pod.Status.Phase = v1.PodPending
		}
		views = append(views, PodView{
			Pod: pod, Source: rec.source, File: rec.file, Stale: rec.stale, ManifestErrors: errsByFile[rec.file],
			Events: append([]Event(nil), rec.events...), Terminating: rec.desired == nil,
		})
		if rec.desired != nil {
			seen[types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}] = true
		}
	}
	for _, e := range k.manifestErrors {
		for _, name := range e.Pods {
			if seen[name] {
				continue
			}
			seen[name] = true
			views = append(views, brokenManifestView(name, e))
		}
	}
	sort.Slice(views, func(i, j int) bool {
		a, b := views[i].Pod, views[j].Pod
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return !views[i].Terminating && views[j].Terminating
	})
	return views
}

// GetPod returns the pod with that namespace and name; a pod being
// replaced by a new version is returned as the new version.
func (k *Kubelet) GetPod(namespace, name string) (PodView, bool) {
	for _, v := range k.Pods() {
		if v.Pod.Namespace == namespace && v.Pod.Name == name {
			return v, true
		}
	}
	return PodView{}, false
}

// PodSources returns the source of each pod the agent has under namespace
// and name (pods of two sources may share one).
func (k *Kubelet) PodSources(namespace, name string) []string {
	var sources []string
	for _, v := range k.Pods() {
		if v.Pod.Namespace == namespace && v.Pod.Name == name {
			sources = append(sources, v.Source)
		}
	}
	return sources
}

// ManifestErrors returns the manifest files with problems.
func (k *Kubelet) ManifestErrors() []ManifestError {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]ManifestError(nil), k.manifestErrors...)
}

func brokenManifestView(name types.NamespacedName, e ManifestError) PodView {
	pod := &v1.Pod{}
	pod.Name, pod.Namespace = name.Name, name.Namespace
	pod.Status.Phase = v1.PodPending
	pod.Status.Reason = ReasonManifestError
	if len(e.Messages) > 0 {
		pod.Status.Message = e.Messages[0]
	}
	return PodView{Pod: pod, Source: SourceFile, File: e.File, ManifestErrors: e.Messages}
}

// Changed returns a channel that is closed at the next change of any pod's
// spec or status, for API watchers: wait on it, then call Pods again.
func (k *Kubelet) Changed() <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.changed
}

// bump records a change of rec and wakes watchers. Callers hold k.mu.
func (k *Kubelet) bump(rec *podRecord) {
	k.version++
	if rec != nil {
		rec.version = k.version
	}
	close(k.changed)
	k.changed = make(chan struct{})
}

// SetDeletionGracePeriod makes the next deletion of the pod use seconds
// instead of its terminationGracePeriodSeconds, as a Kubernetes delete with
// gracePeriodSeconds does. Call it before removing the pod's manifest.
//
// A pod the agent does not track yet (deleted from the API server while
// the agent was down, its containers not adopted yet) keeps the grace
// until the relist that adopts it, so it stops with the grace the delete
// asked for rather than its spec's.
func (k *Kubelet) SetDeletionGracePeriod(uid types.UID, seconds int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec, ok := k.pods[uid]; ok {
		rec.deletionGrace = &seconds
		return
	}
	k.pendingGrace[uid] = seconds
}

// deletionGrace is the per-deletion grace override of a pod, nil when
// there is none.
func (k *Kubelet) deletionGrace(uid types.UID) *int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec, ok := k.pods[uid]; ok && rec.deletionGrace != nil && rec.desired == nil {
		seconds := *rec.deletionGrace
		return &seconds
	}
	return nil
}

// failContainer records why a container is not running, as a waiting
// reason and a warning event.
func (k *Kubelet) failContainer(pod *v1.Pod, name, reason string, err error) {
	k.setWaiting(pod, name, waitingState{Reason: reason, Message: err.Error()})
	k.addEvent(pod.UID, Event{Type: v1.EventTypeWarning, Reason: EventFailed, Container: name, Message: reason + ": " + err.Error()})
}

// setWaiting records why a container is not running; status shows it
// until clearWaiting.
func (k *Kubelet) setWaiting(pod *v1.Pod, name string, w waitingState) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec, ok := k.pods[pod.UID]; ok {
		if rec.waiting == nil {
			rec.waiting = map[string]waitingState{}
		}
		rec.waiting[name] = w
	}
}

// setAllWaiting records the same reason for every container of the pod.
func (k *Kubelet) setAllWaiting(pod *v1.Pod, w waitingState) {
	for _, c := range pod.Spec.InitContainers {
		k.setWaiting(pod, c.Name, w)
	}
	for _, c := range pod.Spec.Containers {
		k.setWaiting(pod, c.Name, w)
	}
}

// clearWaiting forgets why a container was not running, once it started.
func (k *Kubelet) clearWaiting(pod *v1.Pod, name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec, ok := k.pods[pod.UID]; ok {
		delete(rec.waiting, name)
	}
}

// addEvent records an event on the pod, stamped now unless it has a time.
func (k *Kubelet) addEvent(uid types.UID, e Event) {
	if e.Time.IsZero() {
		e.Time = k.cfg.Now()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec, ok := k.pods[uid]; ok {
		k.recordLocked(rec, e)
		k.bump(nil) // API watchers list events: wake them, the pod is unchanged
	}
}

// DesiredSeen reports whether every pod source has delivered its pods
// once: before, Pods lacks pods that a source will ask for.
func (k *Kubelet) DesiredSeen() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.desiredSeen
}

// Gone reports whether nothing of the pod is left on the node: the agent
// does not track it and the runtime held nothing of it at the last relist
// (or the agent removed it since). False until the first relist and until
// every source has delivered, when an untracked pod may be about to be
// adopted. A cluster pod is deleted from the API server only once Gone,
// as the kubelet deletes it with grace 0 once its containers are gone.
func (k *Kubelet) Gone(uid types.UID) bool {
	present := k.relister.present.Load()
	if present == nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, tracked := k.pods[uid]; tracked || !k.desiredSeen {
		return false
	}
	return !(*present)[uid] || k.removed[uid]
}
