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
	if pod, ok := obj.(*v1.Pod); ok && ws.table != "" {
		table := newTable(ws.table, podColumns)
		table.ResourceVersion = pod.ResourceVersion
		table.Rows = []metav1.TableRow{podRow(pod, ws.s.cfg.Now(), rowObject(ws.table, ws.include, pod, &pod.ObjectMeta))}
		obj = table
	}
	if err := ws.enc.Encode(metav1.WatchEvent{Type: string(kind), Object: runtime.RawExtension{Object: obj}}); err != nil {
		return err
	}
	return http.NewResponseController(ws.w).Flush()
}

// watchPods streams pod changes until the client leaves, the watch times
// out or the agent stops. A watch from resourceVersion "" or "0" (or with
// sendInitialEvents) starts with the current pods as ADDED events; one from
// a list's resourceVersion continues right after that list.
func (s *Server) watchPods(w http.ResponseWriter, r *http.Request, q listQuery) {
	policy, err := includeObject(r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	initial := q.resourceVersion == "" || q.resourceVersion == "0" || q.sendInitialEvents
	var from uint64
	if !initial {
		if from, err = strconv.ParseUint(q.resourceVersion, 10, 64); err != nil {
			writeError(w, s.log, apierrors.NewBadRequest("resourceVersion="+q.resourceVersion+": give a resourceVersion from a list or an object"))
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), q.timeout)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	// Send the headers now: a client waits for them before it reads events,
	// and a watch from a list's version may have none to send for a while.
	_ = http.NewResponseController(w).Flush()
	ws := &watchStream{w: w, enc: json.NewEncoder(w), table: tableVersion(r), include: policy, s: s}
	snap := s.store.sync()
	if initial {
		from = snap.Version
		if err := s.sendInitial(ws, q, snap); err != nil {
			return
		}
	}
	changed := snap.Changed
	for {
		events, ok := s.store.eventsSince(from)
		if !ok {
			gone := apierrors.NewResourceExpired("too old resource version: " + strconv.FormatUint(from, 10)).Status()
			gone.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
			_ = ws.send(watch.Error, &gone)
			return
		}
		for _, ev := range events {
			from = ev.Version
			if kind, pod := q.translate(ev); kind != "" {
				if err := ws.send(kind, pod); err != nil {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
			changed = s.store.sync().Changed
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
	bookmark := &v1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			ResourceVersion: strconv.FormatUint(snap.Version, 10),
			Annotations:     map[string]string{metav1.InitialEventsAnnotationKey: "true"},
		},
	}
	// A bookmark is never a table row: it carries only a version.
	table := ws.table
	ws.table = ""
	err := ws.send(watch.Bookmark, bookmark)
	ws.table = table
	return err
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
