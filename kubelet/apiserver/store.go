package apiserver

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/minikubelet/minikubelet/kubelet"
)

// historySize bounds the events kept for watches that resume from a
// resourceVersion; older versions get 410 Gone and the client relists
// (client-go's reflector does so by itself). The API server's watch cache
// keeps 100 per resource by default; 256 pod versions are a few minutes of
// a busy node's changes, and the history's memory, held once it is full,
// stays within the soak's 5 MiB bound.
const historySize = 256

// podEvent is one change of one pod, numbered in the store's version space.
type podEvent struct {
	Type    watch.EventType
	Version uint64
	// Old is the pod before the change (nil for ADDED), New after it (the
	// last state for DELETED); label and field filters need both.
	Old, New *servedPod
}

// servedPod is a pod as the API serves it, with what the pod object
// itself cannot carry.
type servedPod struct {
	Pod    *v1.Pod
	View   kubelet.PodView
	Events []v1.Event
}

// entry is the store's memory of one namespace/name.
type entry struct {
	pod         *servedPod
	fingerprint string
	// eventsPrint tells when the pod's events changed, which changes the
	// event list but not the pod.
	eventsPrint string
	version     uint64
	firstSeen   time.Time
	// terminatingSince is when the pod's manifest was first seen gone.
	terminatingSince time.Time
}

// store turns the sync loop's snapshots into versioned pods and a history
// of changes. It has no goroutine of its own: every reader calls sync,
// which diffs the current snapshot against the last one, so what a client
// reads is never older than the moment it asked.
type store struct {
	source  PodState
	render  func(view kubelet.PodView, e *entry) *servedPod
	now     func() time.Time
	mu      sync.Mutex
	version uint64
	pods    map[types.NamespacedName]*entry
	history []podEvent
	// oldest is the version before the first event in history: a watch
	// from any version >= oldest can be resumed.
	oldest uint64
	// events are the pods' events, numbered in the same version space.
	events eventLog
}

func newStore(source PodState, now func() time.Time, render func(kubelet.PodView, *entry) *servedPod) *store {
	return &store{source: source, render: render, now: now, pods: map[types.NamespacedName]*entry{}, version: 1, oldest: 1, events: newEventLog()}
}

// snapshot is a consistent view of the store at one version.
type snapshot struct {
	Version uint64
	Pods    []*servedPod
	// Changed is closed at the sync loop's next change after this view.
	Changed <-chan struct{}
}

// sync brings the store up to date and returns its current state.
func (s *store) sync() snapshot {
	// Take the signal before reading, so a change in between is not missed.
	changed := s.source.Changed()
	views := s.source.Pods()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apply(views)
	out := snapshot{Version: s.version, Changed: changed, Pods: make([]*servedPod, 0, len(s.pods))}
	for _, e := range s.pods {
		out.Pods = append(out.Pods, e.pod)
	}
	slices.SortFunc(out.Pods, func(a, b *servedPod) int {
		return strings.Compare(a.Pod.Namespace+"/"+a.Pod.Name, b.Pod.Namespace+"/"+b.Pod.Name)
	})
	return out
}

// apply records the differences between views and the store. A name with
// two views (a pod being replaced) is served as the one that is wanted,
// which Pods lists first. Callers hold s.mu.
func (s *store) apply(views []kubelet.PodView) {
	now := s.now()
	before := s.version
	eventsChanged := false
	defer func() {
		if s.version != before || eventsChanged || s.events.expiryDue(now) {
			s.updateEvents(now)
		}
	}()
	seen := make(map[types.NamespacedName]bool, len(views))
	for _, view := range views {
		key := types.NamespacedName{Namespace: view.Pod.Namespace, Name: view.Pod.Name}
		if seen[key] {
			continue
		}
		seen[key] = true
		print, eventsPrint := fingerprint(view), eventsFingerprint(view)
		e, known := s.pods[key]
		if known && e.fingerprint == print {
			if e.eventsPrint != eventsPrint {
				// New events only: the pod is the same, at the same version.
				e.pod, e.eventsPrint, eventsChanged = s.render(view, e), eventsPrint, true
			}
			continue
		}
		if !known {
			e = &entry{firstSeen: now}
			s.pods[key] = e
		}
		if view.Terminating && e.terminatingSince.IsZero() {
			e.terminatingSince = now
		} else if !view.Terminating {
			e.terminatingSince = time.Time{}
		}
		old := e.pod
		s.version++
		e.version, e.fingerprint, e.eventsPrint = s.version, print, eventsPrint
		e.pod = s.render(view, e)
		kind := watch.Modified
		if !known {
			kind = watch.Added
		}
		s.record(podEvent{Type: kind, Version: s.version, Old: old, New: e.pod})
	}
	for key, e := range s.pods {
		if seen[key] {
			continue
		}
		delete(s.pods, key)
		s.version++
		gone := *e.pod
		gone.Pod = e.pod.Pod.DeepCopy()
		gone.Pod.ResourceVersion = strconv.FormatUint(s.version, 10)
		s.record(podEvent{Type: watch.Deleted, Version: s.version, Old: e.pod, New: &gone})
	}
}

// record appends to the bounded history. Callers hold s.mu.
func (s *store) record(ev podEvent) {
	// A watch filters and sends pods only. The view and events of each
	// version, kept for historySize versions, held most of the agent's
	// heap in a soak (anonymous memory 22 → 47 MiB over the first 200
	// lifecycles, 19 → 27 MiB without them); readers of the current pod
	// get them from s.pods.
	ev.Old, ev.New = podOnly(ev.Old), podOnly(ev.New)
	s.history = append(s.history, ev)
	if over := len(s.history) - historySize; over > 0 {
		s.oldest = s.history[over-1].Version
		s.history = slices.Delete(s.history, 0, over)
	}
}

// podOnly is p without what only the current version needs.
func podOnly(p *servedPod) *servedPod {
	if p == nil {
		return nil
	}
	return &servedPod{Pod: p.Pod}
}

// eventsSince returns the events after version, or ok=false when they
// are no longer in the history.
func (s *store) eventsSince(version uint64) (events []podEvent, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if version < s.oldest {
		return nil, false
	}
	i, _ := slices.BinarySearchFunc(s.history, version+1, func(ev podEvent, v uint64) int {
		switch {
		case ev.Version < v:
			return -1
		case ev.Version > v:
			return 1
		}
		return 0
	})
	return slices.Clone(s.history[i:]), true
}

// current returns the store's version without syncing.
func (s *store) current() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// fingerprint captures everything of a view the API shows of the pod, so
// an unchanged pod keeps its resourceVersion across snapshots. Its events
// are not the pod's: a new one changes the event list alone.
func fingerprint(view kubelet.PodView) string {
	var b strings.Builder
	b.WriteString(string(view.Pod.UID))
	b.WriteByte(0)
	b.WriteString(view.Pod.ResourceVersion)
	b.WriteByte(0)
	b.WriteString(view.File)
	b.WriteByte(0)
	b.WriteString(strconv.FormatBool(view.Stale) + strconv.FormatBool(view.Terminating))
	// Labels and annotations change in place, under the same UID.
	for _, m := range []map[string]string{view.Pod.Labels, view.Pod.Annotations} {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			b.WriteByte(0)
			b.WriteString(k + "=" + m[k])
		}
		b.WriteByte(1)
	}
	for _, m := range view.ManifestErrors {
		b.WriteByte(0)
		b.WriteString(m)
	}
	return b.String()
}

// eventsFingerprint tells a view's events apart from the last ones seen:
// the kubelet appends events and drops the oldest past its cap.
func eventsFingerprint(view kubelet.PodView) string {
	n := len(view.Events)
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n) + "\x00" + view.Events[0].Time.String() + "\x00" + view.Events[n-1].Time.String()
}
