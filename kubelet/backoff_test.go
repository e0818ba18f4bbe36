package kubelet

import (
	"fmt"
	"testing"
	"time"
)

// Keys idle for twice the longest delay are forgotten once there are many:
// a pod whose image keeps being updated gets a new key each time (the
// back-off is keyed by the image), and the old ones would stay until the
// pod is deleted.
func TestBackoffForgetsIdleKeysOnceThereAreMany(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBackoff(10*time.Second, 5*time.Minute, func() time.Time { return now })
	for i := range sweepAbove + 1 {
		b.Next(fmt.Sprintf("uid/app/image:%d", i))
	}
	now = now.Add(11 * time.Minute)
	b.Next("uid/app/image:new")
	if n := len(b.entries); n != 1 {
		t.Errorf("%d keys kept, want 1: the %d idle for 11 min (past twice the 5 min max) forgotten", n, sweepAbove+1)
	}
	if d := b.Delay("uid/app/image:new"); d != 10*time.Second {
		t.Errorf("the new key's delay %s, want the initial 10s", d)
	}
}
