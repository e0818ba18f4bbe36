package cni

import (
	"errors"

	"github.com/vishvananda/netlink"
)

// dumpAttempts bounds how often an interrupted netlink dump is redone.
const dumpAttempts = 5

// redoInterrupted runs a netlink dump again while the kernel reports it
// interrupted (netlink.ErrDumpInterrupted: the table changed during the
// dump, so the answer may be incomplete), as netlink's own docs advise.
// While pods start, veths come and go every few milliseconds: an agent
// restarted then failed at start listing the bridge's ports.
func redoInterrupted[T any](dump func() (T, error)) (T, error) {
	var result T
	var err error
	for range dumpAttempts {
		result, err = dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return result, err
		}
	}
	return result, err
}
