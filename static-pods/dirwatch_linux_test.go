package staticpods

import (
	"encoding/binary"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func TestEventFromMask(t *testing.T) {
	for _, tc := range []struct {
		mask uint32
		want dirEvent
	}{
		{unix.IN_CREATE, dirEvent{name: "a.yaml", state: contentWriting}},
		{unix.IN_MODIFY, dirEvent{name: "a.yaml", state: contentWriting}},
		{unix.IN_CLOSE_WRITE, dirEvent{name: "a.yaml", state: contentComplete}},
		{unix.IN_MOVED_TO, dirEvent{name: "a.yaml", state: contentComplete}},
		{unix.IN_MOVED_FROM, dirEvent{name: "a.yaml", state: contentComplete}},
		{unix.IN_DELETE, dirEvent{name: "a.yaml", state: contentComplete}},
		{unix.IN_ATTRIB, dirEvent{name: "a.yaml", attribOnly: true}},
		{unix.IN_DELETE_SELF, dirEvent{dirGone: true}},
		{unix.IN_Q_OVERFLOW, dirEvent{overflow: true}},
	} {
		name := "a.yaml"
		if tc.want.dirGone || tc.want.overflow {
			name = ""
		}
		if got, ok := eventFromMask(name, tc.mask); !ok || got != tc.want {
			t.Errorf("eventFromMask(%#x) = %+v, %v, want %+v", tc.mask, got, ok, tc.want)
		}
	}
}

// TestParseInotify decodes events as the kernel lays them out: a 16-byte
// header, then the name padded with NULs; a truncated tail is dropped.
func TestParseInotify(t *testing.T) {
	var buf []byte
	add := func(wd int32, mask uint32, name string, padded int) {
		header := make([]byte, inotifyHeader)
		binary.NativeEndian.PutUint32(header[0:4], uint32(wd))
		binary.NativeEndian.PutUint32(header[4:8], mask)
		binary.NativeEndian.PutUint32(header[12:16], uint32(padded))
		buf = append(buf, header...)
		buf = append(buf, append([]byte(name), make([]byte, padded-len(name))...)...)
	}
	add(1, unix.IN_MODIFY, "web.yaml", 16)
	add(2, unix.IN_CLOSE_WRITE, "web.yaml", 16)
	add(-1, unix.IN_Q_OVERFLOW, "", 0)
	got := parseInotify(append(buf, 1, 2, 3))
	want := []rawInotify{{1, unix.IN_MODIFY, "web.yaml"}, {2, unix.IN_CLOSE_WRITE, "web.yaml"}, {-1, unix.IN_Q_OVERFLOW, ""}}
	if !slices.Equal(got, want) {
		t.Errorf("parseInotify = %+v, want %+v", got, want)
	}
}

// TestTranslateTellsTheWatchesApart: the directory's own events, its name
// made again in the parent, and events of a directory no longer watched.
func TestTranslateTellsTheWatchesApart(t *testing.T) {
	w := &dirWatch{dir: "/etc/minikubelet/manifests"}
	w.dirWd.Store(5)
	w.parentWd.Store(1)
	for _, tc := range []struct {
		raw    rawInotify
		want   dirEvent
		wantOK bool
	}{
		{rawInotify{5, unix.IN_CLOSE_WRITE, "a.yaml"}, dirEvent{name: "a.yaml", state: contentComplete}, true},
		{rawInotify{1, unix.IN_CREATE | unix.IN_ISDIR, "manifests"}, dirEvent{dirReplaced: true}, true},
		{rawInotify{1, unix.IN_MOVED_TO, "manifests"}, dirEvent{dirReplaced: true}, true},
		{rawInotify{1, unix.IN_CREATE, "other"}, dirEvent{}, false},
		{rawInotify{3, unix.IN_CLOSE_WRITE, "a.yaml"}, dirEvent{}, false}, // the swapped-out directory
		{rawInotify{3, unix.IN_IGNORED, ""}, dirEvent{}, false},
		{rawInotify{-1, unix.IN_Q_OVERFLOW, ""}, dirEvent{overflow: true}, true},
	} {
		if got, ok := w.translate(tc.raw); ok != tc.wantOK || got != tc.want {
			t.Errorf("translate(%+v) = %+v, %v, want %+v, %v", tc.raw, got, ok, tc.want, tc.wantOK)
		}
	}
}
