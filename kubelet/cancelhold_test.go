package kubelet

import (
	"context"
	"testing"
)

func TestSyncCancel(t *testing.T) {
	for _, tc := range []struct {
		name string
		// steps: "hold", "release", "cancel"; canceledAfter says whether
		// the context is canceled after each step.
		steps         []string
		canceledAfter []bool
	}{
		{name: "no hold cancels at once", steps: []string{"cancel"}, canceledAfter: []bool{true}},
		{name: "a hold defers the cancel to its release",
			steps: []string{"hold", "cancel", "release"}, canceledAfter: []bool{false, false, true}},
		{name: "nested holds defer it to the last release",
			steps: []string{"hold", "hold", "cancel", "release", "release"}, canceledAfter: []bool{false, false, false, false, true}},
		{name: "a release without a cancel cancels nothing",
			steps: []string{"hold", "release"}, canceledAfter: []bool{false, false}},
		{name: "a cancel after the release is at once",
			steps: []string{"hold", "release", "cancel"}, canceledAfter: []bool{false, false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, canceler := withSyncCancel(context.Background())
			var releases []func()
			for i, step := range tc.steps {
				switch step {
				case "hold":
					releases = append(releases, holdCancel(ctx))
				case "release":
					releases[len(releases)-1]()
					releases = releases[:len(releases)-1]
				case "cancel":
					canceler.Cancel()
				}
				if got := ctx.Err() != nil; got != tc.canceledAfter[i] {
					t.Fatalf("after step %d (%s): canceled=%v, want %v", i, step, got, tc.canceledAfter[i])
				}
			}
		})
	}
}

// The agent's own shutdown is not held: a restarted agent finds what the
// call made.
func TestHoldCancelDoesNotHoldTheAgentsShutdown(t *testing.T) {
	parent, stop := context.WithCancel(context.Background())
	ctx, _ := withSyncCancel(parent)
	release := holdCancel(ctx)
	defer release()
	stop()
	if ctx.Err() == nil {
		t.Fatal("the agent's shutdown waited for a held call")
	}
}

func TestHoldCancelOutsideASyncDoesNothing(t *testing.T) {
	release := holdCancel(context.Background())
	release()
}
