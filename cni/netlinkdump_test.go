package cni

import (
	"errors"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestRedoInterruptedRetriesOnlyAnInterruptedDump(t *testing.T) {
	calls := 0
	got, err := redoInterrupted(func() (int, error) {
		calls++
		if calls < 3 {
			return -1, netlink.ErrDumpInterrupted
		}
		return 42, nil
	})
	if got != 42 || err != nil || calls != 3 {
		t.Errorf("= %d, %v after %d calls; want 42, nil after 3", got, err, calls)
	}

	calls = 0
	_, err = redoInterrupted(func() (int, error) { calls++; return 0, netlink.ErrDumpInterrupted })
	if !errors.Is(err, netlink.ErrDumpInterrupted) || calls != dumpAttempts {
		t.Errorf("always interrupted: %v after %d calls; want the error after %d", err, calls, dumpAttempts)
	}

	calls = 0
	other := errors.New("permission denied")
	if _, err = redoInterrupted(func() (int, error) { calls++; return 0, other }); err != other || calls != 1 {
		t.Errorf("another error: %v after %d calls; want it at once", err, calls)
	}
}
