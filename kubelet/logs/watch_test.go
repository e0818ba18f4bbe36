package logs

import (
	"fmt"
	"testing"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// inotify instances are limited per user (128 by default) across the host,
// so follows must not take one each: ~128 of them would starve every root
// process on the node.
func TestFollowersShareOneInotifyInstance(t *testing.T) {
	const followers = 6
	base := openFDs(t)["inotify"]
	runtimes := make([]*fakeRuntime, followers)
	outs := make([]*testutil.SyncBuffer, followers)
	dones := make([]<-chan followResult, followers)
	for i := range followers {
		_, path := logDir(t)
		rt, err := newFakeRuntime(path)
		if err != nil {
			t.Fatal(err)
		}
		rt.write(fullLines("old", 0, 1))
		runtimes[i], outs[i] = rt, &testutil.SyncBuffer{}
		dones[i] = startFollow(t, rt, Options{}, outs[i])
		waitFor(t, fmt.Sprintf("follower %d's first line", i), func() bool { return outs[i].String() == "old0\n" })
	}
	waitFor(t, "every follower watching", func() bool { return openFDs(t)["inotify"]-base >= 1 })
	if got := openFDs(t)["inotify"] - base; got != 1 {
		t.Errorf("%d followers hold %d inotify instances, want 1 shared", followers, got)
	}
	for i, rt := range runtimes {
		rt.write(fullLines("new", 1, 2))
		waitFor(t, fmt.Sprintf("follower %d's new line", i), func() bool { return outs[i].String() == "old0\nnew1\n" })
	}
	for i, rt := range runtimes {
		rt.stop()
		waitDone(t, dones[i])
	}
	waitFor(t, "the shared instance released", func() bool { return openFDs(t)["inotify"] == base })
}
