package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// scriptedWatch is a node API whose pod list is one pod and whose watch
// sends the given lines, then ends: the cases the real API rarely shows.
func scriptedWatch(t *testing.T, lines ...string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("watch") != "true" {
			pod := v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "uid-1"}}
			_ = json.NewEncoder(w).Encode(v1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "7"}, Items: []v1.Pod{pod}})
			return
		}
		for _, line := range lines {
			_, _ = w.Write([]byte(line + "\n"))
		}
	}))
	t.Cleanup(srv.Close)
	client, err := Dial(Connection{Server: srv.URL, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// event is one line of a watch stream, as the node API writes it.
func event(t *testing.T, kind string, object any) string {
	t.Helper()
	data, err := json.Marshal(map[string]any{"type": kind, "object": object})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestWatchHandsEachEventUntilTheHandlerIsDone(t *testing.T) {
	pod := func(uid string) v1.Pod {
		return v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", UID: types.UID(uid)}}
	}
	client := scriptedWatch(t, event(t, "MODIFIED", pod("uid-1")), "", event(t, "MODIFIED", pod("uid-2")), event(t, "DELETED", pod("uid-2")))
	var seen []string
	err := client.Watch(context.Background(), "pods", ListOptions{Namespace: "default"}, false, func(ev WatchEvent) (bool, error) {
		seen = append(seen, ev.Type)
		return ev.Type == "DELETED", nil
	})
	if err != nil || strings.Join(seen, ",") != "MODIFIED,MODIFIED,DELETED" {
		t.Errorf("Watch = %v after %v", err, seen)
	}
	err = client.Watch(context.Background(), "pods", ListOptions{}, false, func(WatchEvent) (bool, error) { return false, nil })
	if !errors.Is(err, ErrWatchClosed) {
		t.Errorf("Watch of a stream the server ends = %v, want ErrWatchClosed", err)
	}
}

func TestWatchSurfacesTheStatusOfAnErrorEvent(t *testing.T) {
	gone := apierrors.NewResourceExpired("too old resource version: 7 (42)").Status()
	client := scriptedWatch(t, event(t, "ERROR", gone))
	err := client.Watch(context.Background(), "pods", ListOptions{}, false, func(WatchEvent) (bool, error) { return false, nil })
	if err == nil || err.Error() != "watch ended by the server: too old resource version: 7 (42)" || !apierrors.IsResourceExpired(err) {
		t.Errorf("Watch ended by an ERROR event = %v", err)
	}
}

func TestWaitGoneEndsWhenThePodIsReplacedOrTheWatchCloses(t *testing.T) {
	target := types.NamespacedName{Namespace: "default", Name: "web"}
	replaced := scriptedWatch(t, event(t, "MODIFIED", v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", UID: "uid-2"}}))
	if err := waitGone(context.Background(), replaced, target, "uid-1"); err != nil {
		t.Errorf("waitGone after the pod was replaced by another UID = %v", err)
	}
	closed := scriptedWatch(t, event(t, "MODIFIED", v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", UID: "uid-1"}}))
	err := waitGone(context.Background(), closed, target, "uid-1")
	if err == nil || err.Error() != "the server closed the watch before the pod went" {
		t.Errorf("waitGone on a watch the server closed = %v", err)
	}
	if err := waitGone(context.Background(), closed, target, "uid-0"); err != nil {
		t.Errorf("waitGone for a UID already replaced = %v, want nil at once", err)
	}
}

func TestWatchSaysWhenAnEventIsNotJSON(t *testing.T) {
	client := scriptedWatch(t, "{not json")
	err := client.Watch(context.Background(), "pods", ListOptions{}, false, func(WatchEvent) (bool, error) { return false, nil })
	if err == nil || !strings.HasPrefix(err.Error(), "decoding a watch event: ") {
		t.Errorf("Watch of a garbled stream = %v", err)
	}
}
