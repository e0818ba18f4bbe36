package apiserver

import (
	"context"
	"net/http"
	"strconv"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// listEvents serves the events of the node's pods, oldest first: the list
// `kubectl describe pod` asks for with an involvedObject field selector,
// `kubectl get events` (a Table), and with ?watch=true their changes.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err == nil {
		err = checkFieldLabels(q.fields, eventFields(&v1.Event{}))
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if q.watch {
		s.watchEvents(w, r, q)
		return
	}
	list := s.store.listEvents()
	var events []*v1.Event
	for _, ev := range list.Events {
		if q.matchesEvent(ev) {
			events = append(events, ev)
		}
	}
	version := strconv.FormatUint(list.Version, 10)
	if tv := tableVersion(r); tv != "" {
		policy, err := includeObject(r)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		table := newTable(tv, eventColumns)
		table.ResourceVersion = version
		now := s.cfg.Now()
		for _, ev := range events {
			table.Rows = append(table.Rows, eventRow(ev, now, rowObject(tv, policy, ev, &ev.ObjectMeta)))
		}
		writeJSON(w, http.StatusOK, table)
		return
	}
	out := v1.EventList{
		TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "v1"},
		ListMeta: metav1.ListMeta{ResourceVersion: version},
		Items:    make([]v1.Event, 0, len(events)),
	}
	for _, ev := range events {
		out.Items = append(out.Items, *ev)
	}
	writeJSON(w, http.StatusOK, out)
}

// getEvent serves GET /api/v1/namespaces/{ns}/events/{name}.
func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	for _, ev := range s.store.listEvents().Events {
		if ev.Namespace == ns && ev.Name == name {
			writeJSON(w, http.StatusOK, ev)
			return
		}
	}
	writeError(w, s.log, apierrors.NewNotFound(schema.GroupResource{Resource: "events"}, name))
}

// watchEvents streams event changes as watchPods streams pods: from
// resourceVersion "" or "0" (or with sendInitialEvents) the current
// events come first as ADDED; from a list's version, what follows it.
// An event is ADDED when it happens and DELETED when it expires.
func (s *Server) watchEvents(w http.ResponseWriter, r *http.Request, q listQuery) {
	ws, initial, from, ok := s.openWatch(w, r, q)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), q.timeout)
	defer cancel()
	list := s.store.listEvents()
	if initial {
		from = list.Version
		if err := s.sendInitialEvents(ws, q, list); err != nil {
			return
		}
	}
	ws.follow(ctx, from, list.Changed, func(from uint64) ([]watchChange, bool) {
		events, ok := s.store.eventChangesSince(from)
		changes := make([]watchChange, len(events))
		for i, c := range events {
			changes[i] = watchChange{version: c.Version}
			if q.matchesEvent(c.Event) {
				changes[i].kind, changes[i].obj = c.Type, c.Event
			}
		}
		return changes, ok
	})
}

// sendInitialEvents sends the list's matching events as ADDED and, for a
// watch-list, the bookmark that ends them.
func (s *Server) sendInitialEvents(ws *watchStream, q listQuery, list eventList) error {
	for _, ev := range list.Events {
		if q.matchesEvent(ev) {
			if err := ws.send(watch.Added, ev); err != nil {
				return err
			}
		}
	}
	if !q.sendInitialEvents {
		return nil
	}
	return ws.sendBookmark(&v1.Event{TypeMeta: metav1.TypeMeta{Kind: "Event", APIVersion: "v1"}}, list.Version)
}
