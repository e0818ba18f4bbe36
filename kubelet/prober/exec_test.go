package prober

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestExecProbeOutcomes(t *testing.T) {
	rt := newFakeRuntime()
	tgt := loopbackTarget()
	if out := probeExec(context.Background(), rt, tgt, []string{"check"}, 2*time.Second); out.result != Success || out.message != "check ok" {
		t.Fatalf("exit 0: %+v", out)
	}
	if call := rt.calls[0]; call.containerID != "c1" || call.timeout != 2*time.Second {
		t.Fatalf("ExecSync got container %q timeout %s, want c1 and the probe's timeout", call.containerID, call.timeout)
	}
	rt.fail("check", true)
	out := probeExec(context.Background(), rt, tgt, []string{"check", "/tmp/unhealthy"}, time.Second)
	if out.result != Failure || out.message != `command ["check" "/tmp/unhealthy"] exited with code 1: check says no` {
		t.Fatalf("exit 1: %+v", out)
	}

	rt.err = status.Error(codes.DeadlineExceeded, "timeout 1s exceeded: context deadline exceeded")
	out = probeExec(context.Background(), rt, tgt, []string{"check"}, time.Second)
	if out.result != Failure || out.message != `command ["check"] timed out after 1s` {
		t.Fatalf("runtime time out: %+v", out)
	}
	rt.err = errors.New("container not running")
	out = probeExec(context.Background(), rt, tgt, []string{"check"}, time.Second)
	if out.result != Unknown || !strings.Contains(out.message, "container not running") {
		t.Fatalf("runtime error: %+v", out)
	}
	out = probeExec(context.Background(), rt, tgt, nil, time.Second)
	if out.result != Unknown || !strings.Contains(out.message, "the command is empty") {
		t.Fatalf("empty command: %+v", out)
	}
}
