package apiserver

import (
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// Events outlive their pod for eventTTL, as the API server keeps events
// for its --event-ttl (one hour by default): `kubectl get events` still
// explains a pod that was replaced or deleted. At most maxRetainedEvents
// are kept past their pod; the oldest go first.
const (
	eventTTL          = time.Hour
	maxRetainedEvents = 1000
)

// loggedEvent is one event the API serves, at the version it appeared.
type loggedEvent struct {
	event *v1.Event
	// expires is when an event whose pod no longer shows it is dropped;
	// zero while its pod shows it.
	expires time.Time
}

// eventChange is one change of the event list, for watches.
type eventChange struct {
	Type    watch.EventType
	Version uint64
	Event   *v1.Event
}

// eventLog numbers the pods' events in the store's version space, so that
// events can be listed and watched from a resourceVersion like pods.
// Callers hold the store's lock.
type eventLog struct {
	byName  map[string]*loggedEvent
	ordered []*loggedEvent // by version: the order events happened in
	history []eventChange
	// oldest is the version before the first change in history.
	oldest uint64
	// nextExpiry is the earliest expiry of a retained event, zero if none.
	nextExpiry time.Time
}

// expiryDue says whether a retained event has expired by now.
func (log *eventLog) expiryDue(now time.Time) bool {
	return !log.nextExpiry.IsZero() && !now.Before(log.nextExpiry)
}

func newEventLog() eventLog {
	return eventLog{byName: map[string]*loggedEvent{}, oldest: 1}
}

// updateEvents records the events the store's pods show now: new ones are
// ADDED, those no pod shows any more start to expire, expired ones are
// DELETED.
func (s *store) updateEvents(now time.Time) {
	log := &s.events
	shown := map[string]bool{}
	var fresh []*v1.Event
	for _, e := range s.pods {
		for i := range e.pod.Events {
			ev := &e.pod.Events[i]
			shown[ev.Name] = true
			if logged, ok := log.byName[ev.Name]; ok {
				logged.expires = time.Time{}
			} else {
				fresh = append(fresh, ev)
			}
		}
	}
	// Number new events in the order they happened, whichever pod they
	// belong to: a list shows them oldest first.
	slices.SortStableFunc(fresh, func(a, b *v1.Event) int {
		if c := a.LastTimestamp.Compare(b.LastTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, ev := range fresh {
		s.version++
		copied := ev.DeepCopy()
		copied.ResourceVersion = strconv.FormatUint(s.version, 10)
		logged := &loggedEvent{event: copied}
		log.byName[ev.Name] = logged
		log.ordered = append(log.ordered, logged)
		log.record(eventChange{Type: watch.Added, Version: s.version, Event: copied})
	}
	retained := 0
	for _, logged := range log.ordered {
		if !shown[logged.event.Name] {
			retained++
			if logged.expires.IsZero() {
				logged.expires = now.Add(eventTTL)
			}
		}
	}
	log.ordered = slices.DeleteFunc(log.ordered, func(logged *loggedEvent) bool {
		expired := !logged.expires.IsZero() && !now.Before(logged.expires)
		overCap := !logged.expires.IsZero() && retained > maxRetainedEvents
		if !expired && !overCap {
			return false
		}
		retained--
		delete(log.byName, logged.event.Name)
		s.version++
		gone := logged.event.DeepCopy()
		gone.ResourceVersion = strconv.FormatUint(s.version, 10)
		log.record(eventChange{Type: watch.Deleted, Version: s.version, Event: gone})
		return true
	})
	log.nextExpiry = time.Time{}
	for _, logged := range log.ordered {
		if !logged.expires.IsZero() && (log.nextExpiry.IsZero() || logged.expires.Before(log.nextExpiry)) {
			log.nextExpiry = logged.expires
		}
	}
}

// record appends to the bounded history of event changes.
func (log *eventLog) record(change eventChange) {
	log.history = append(log.history, change)
	if over := len(log.history) - historySize; over > 0 {
		log.oldest = log.history[over-1].Version
		log.history = slices.Delete(log.history, 0, over)
	}
}

// eventList is a consistent view of the events at one version.
type eventList struct {
	Version uint64
	Events  []*v1.Event
	// Changed is closed at the sync loop's next change after this view.
	Changed <-chan struct{}
}

// listEvents brings the store up to date and returns every event it
// serves, oldest first.
func (s *store) listEvents() eventList {
	changed := s.sync().Changed
	s.mu.Lock()
	defer s.mu.Unlock()
	out := eventList{Version: s.version, Changed: changed, Events: make([]*v1.Event, 0, len(s.events.ordered))}
	for _, logged := range s.events.ordered {
		out.Events = append(out.Events, logged.event)
	}
	return out
}

// eventChangesSince returns the event changes after version, or ok=false
// when they are no longer in the history.
func (s *store) eventChangesSince(version uint64) ([]eventChange, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if version < s.events.oldest {
		return nil, false
	}
	i, _ := slices.BinarySearchFunc(s.events.history, version+1, func(c eventChange, v uint64) int {
		switch {
		case c.Version < v:
			return -1
		case c.Version > v:
			return 1
		}
		return 0
	})
	return slices.Clone(s.events.history[i:]), true
}
