//go:build !linux

package portforward

import (
	"errors"
	"net/netip"
)

// redirectRule sends connections to From to To instead.
type redirectRule struct {
	From, To netip.AddrPort
}

// kernelRedirect exists on Linux only; elsewhere every connection goes
// through this process.
type kernelRedirect struct{}

func newKernelRedirect() (*kernelRedirect, error) {
	return nil, errors.New("redirecting connections in the kernel needs Linux")
}

func (k *kernelRedirect) set([]redirectRule) error { return nil }

func (k *kernelRedirect) close() {}
