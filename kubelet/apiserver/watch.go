package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// watchStream writes one watch response: newline-separated WatchEvents,
// flushed one by one, objects as Pods or as one-row Tables.
type watchStream struct {
	w       http.ResponseWriter
	enc     *json.Encoder
	table   string // meta.k8s.io version of Table rows, "" for Pods
	include metav1.IncludeObjectPolicy
	s       *Server
}

func (ws *watchStream) send(kind watch.EventType, obj runtime.Object) error {
	if ws.table != "" {
		switch o := obj.(type) {
		case *v1.Pod:
			table := newTable(ws.table, podColumns)
			table.ResourceVersion = o.ResourceVersion
			table.Rows = []metav1.TableRow{podRow(o, ws.s.cfg.Now(), rowObject(ws.table, ws.include, o, &o.ObjectMeta))}
			obj = table
		case *v1.Event:
			table := newTable(ws.table, eventColumns)
			table.ResourceVersion = o.ResourceVersion
			table.Rows = []metav1.TableRow{eventRow(o, ws.s.cfg.Now(), rowObject(ws.table, ws.include, o, &o.ObjectMeta))}
			obj = table
		}
	}
	if err := ws.enc.Encode(metav1.WatchEvent{Type: string(kind), Object: runtime.RawExtension{Object: obj}}); err != nil {
		return err
	}
	return http.NewResponseController(ws.w).Flush()
}

// openWatch checks a watch request, answers its headers and returns the
// stream to send on and where it starts: initial says the current objects
// come first as ADDED; otherwise the watch continues after from. It has
// written the error when ok is false.
func (s *Server) openWatch(w http.ResponseWriter, r *http.Request, q listQuery) (ws *watchStream, initial bool, from uint64, ok bool) {
	policy, err := includeObject(r)
	if err != nil {
		writeError(w, s.log, err)
		return nil, false, 0, false
	}
	initial = q.resourceVersion == "" || q.resourceVersion == "0" || q.sendInitialEvents
	if !initial {
		if from, err = strconv.ParseUint(q.resourceVersion, 10, 64); err != nil {
			writeError(w, s.log, apierrors.NewBadRequest("resourceVersion="+q.resourceVersion+": give a resourceVersion from a list or an object"))
			return nil, false, 0, false
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	// Send the headers now: a client waits for them before it reads events,
	// and a watch from a list's version may have none to send for a while.
	_ = http.NewResponseController(w).Flush()
	return &watchStream{w: w, enc: json.NewEncoder(w), table: tableVersion(r), include: policy, s: s}, initial, from, true
}

// watchPods streams pod changes until the client leaves, the watch times
// out or the agent stops. A watch from resourceVersion "" or "0" (or with
// sendInitialEvents) starts with the current pods as ADDED events; one from
// a list's resourceVersion continues right after that list.
func (s *Server) watchPods(w http.ResponseWriter, r *http.Request, q listQuery) {
	ws, initial, from, ok := s.openWatch(w, r, q)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), q.timeout)
	defer cancel()
	snap := s.store.sync()
	if initial {
		from = snap.Version
		if err := s.sendInitial(ws, q, snap); err != nil {
			return
		}
	}
	ws.follow(ctx, from, snap.Changed, func(from uint64) ([]watchChange, bool) {
		events, ok := s.store.eventsSince(from)
		changes := make([]watchChange, len(events))
		for i, ev := range events {
			kind, pod := q.translate(ev)
			changes[i] = watchChange{version: ev.Version, kind: kind}
			if kind != "" {
				changes[i].obj = pod
			}
		}
		return changes, ok
	})
}

// watchChange is one step of a watch's history: the version it brought
// and what this watch sends for it (nothing when kind is "").
type watchChange struct {
	version uint64
	kind    watch.EventType
	obj     runtime.Object
}

// follow sends the changes after from, as since reports them, until ctx
// ends, the client goes away, or the history no longer reaches back to
// from (410 Gone, as the API server answers, so the client relists).
// changed is closed by the store's next change.
func (ws *watchStream) follow(ctx context.Context, from uint64, changed <-chan struct{}, since func(uint64) ([]watchChange, bool)) {
	for {
		changes, ok := since(from)
		if !ok {
			ws.sendGone(from)
			return
		}
		for _, c := range changes {
			from = c.version
			if c.kind == "" {
				continue
			}
			if err := ws.send(c.kind, c.obj); err != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
			changed = ws.s.store.sync().Changed
		}
	}
}

// sendInitial sends the snapshot's matching pods as ADDED events and, for
// a watch-list (sendInitialEvents), the bookmark that ends them.
func (s *Server) sendInitial(ws *watchStream, q listQuery, snap snapshot) error {
	for _, p := range snap.Pods {
		if q.matchesPod(p.Pod) {
			if err := ws.send(watch.Added, p.Pod); err != nil {
				return err
			}
		}
	}
	if !q.sendInitialEvents {
		return nil
	}
	return ws.sendBookmark(&v1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}}, snap.Version)
}

// sendBookmark ends a watch-list's initial events with a bookmark of
// the given kind, which carries only the version and the annotation that
// says the initial events are done.
func (ws *watchStream) sendBookmark(obj metav1.Object, version uint64) error {
	obj.SetResourceVersion(strconv.FormatUint(version, 10))
	obj.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
	// A bookmark is never a table row: it carries only a version.
	table := ws.table
	ws.table = ""
	err := ws.send(watch.Bookmark, obj.(runtime.Object))
	ws.table = table
	return err
}

// sendGone ends a watch from a version the history no longer holds with
// the 410 the client answers by listing again.
func (ws *watchStream) sendGone(from uint64) {
	gone := apierrors.NewResourceExpired("too old resource version: " + strconv.FormatUint(from, 10)).Status()
	gone.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	_ = ws.send(watch.Error, &gone)
}

// translate turns a store event into what this watch shows: a pod that
// enters the selection is ADDED, one that leaves it is DELETED, as the
// apiserver's filtered watches do. An empty type means "not shown".
func (q listQuery) translate(ev podEvent) (watch.EventType, *v1.Pod) {
	was := ev.Old != nil && q.matchesPod(ev.Old.Pod)
	is := ev.Type != watch.Deleted && q.matchesPod(ev.New.Pod)
	switch {
	case ev.Type == watch.Deleted && was:
		return watch.Deleted, ev.New.Pod
	case was && is:
		return watch.Modified, ev.New.Pod
	case is:
		return watch.Added, ev.New.Pod
	case was:
		return watch.Deleted, ev.New.Pod
	}
	return "", nil
}
