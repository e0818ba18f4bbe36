package kubelet

import (
	"sync"
	"time"
)

// backoff tracks per-key delays that double from initial to max, the
// kubelet's CrashLoopBackOff and ImagePullBackOff. It is in memory only: a
// restarted agent starts every delay afresh, as the kubelet does.
type backoff struct {
	initial, max time.Duration
	now          func() time.Time

	mu      sync.Mutex
	entries map[string]*backoffEntry
}

type backoffEntry struct {
	delay   time.Duration
	updated time.Time
}

func newBackoff(initial, max time.Duration, now func() time.Time) *backoff {
	return &backoff{initial: initial, max: max, now: now, entries: map[string]*backoffEntry{}}
}

// Delay is the key's current delay, zero when it has none.
func (b *backoff) Delay(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.entries[key]; ok {
		return e.delay
	}
	return 0
}

// sweepAbove is the number of keys past which Next forgets the idle ones.
const sweepAbove = 256

// Next records one more failure: the first sets the initial delay, each
// further one doubles it up to max.
func (b *backoff) Next(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.entries) > sweepAbove {
		b.forgetIdleLocked()
	}
	e, ok := b.entries[key]
	if !ok {
		e = &backoffEntry{delay: b.initial}
		b.entries[key] = e
	} else {
		e.delay = min(e.delay*2, b.max)
	}
	e.updated = b.now()
	return e.delay
}

// Remaining is how much of the key's delay, counted from its last failure,
// is still to run; zero when the key may be tried again.
func (b *backoff) Remaining(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[key]
	if !ok {
		return 0
	}
	if left := e.updated.Add(e.delay).Sub(b.now()); left > 0 {
		return left
	}
	return 0
}

// Reset forgets a key, e.g. after a container ran long enough.
func (b *backoff) Reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, key)
}

// ResetPrefix forgets every key of a pod once it is gone.
func (b *backoff) ResetPrefix(prefix string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.entries {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			delete(b.entries, k)
		}
	}
}

// forgetIdleLocked drops the keys that saw no failure for twice the
// longest delay, as the kubelet's back-off GC does: such a key's next
// failure would start afresh anyway. Keys of a live pod's old versions
// (a container's image changed, so its key did) go this way. Callers hold
// b.mu.
func (b *backoff) forgetIdleLocked() {
	now := b.now()
	for key, e := range b.entries {
		if now.Sub(e.updated) > 2*b.max {
			delete(b.entries, key)
		}
	}
}
