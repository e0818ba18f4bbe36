// Command pause is the infrastructure container of minikubelet's test pods.
//
// It runs as PID 1 of a pod sandbox, holds the pod's namespaces open by doing
// nothing, reaps the zombies that get re-parented to it (orphans of containers
// that share the pod's PID namespace) and exits 0 on SIGTERM or SIGINT, so the
// runtime can stop a sandbox without waiting for a kill timeout.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: pause (takes no arguments; exits 0 on SIGTERM or SIGINT)")
		os.Exit(2)
	}
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pause: not running as PID 1; only my own children will be reaped")
	}
	os.Exit(waitForStop(signals, os.Stderr))
}

// waitForStop reaps children on every SIGCHLD and returns the exit code once
// a stop signal arrives (or the channel closes).
func waitForStop(signals <-chan os.Signal, log io.Writer) int {
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reapChildren()
			continue
		}
		fmt.Fprintf(log, "pause: received %v, exiting\n", sig)
		return 0
	}
	return 0
}

// reapChildren collects every exited child without blocking and returns how
// many it collected. One SIGCHLD may stand for several exits, because pending
// signals of one kind coalesce, so it loops until nothing is left to wait for.
func reapChildren() int {
	reaped := 0
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return reaped
		}
		reaped++
	}
}
