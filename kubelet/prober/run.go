package prober

import (
	"context"
	"net/http"

	v1 "k8s.io/api/core/v1"
)

// fieldName is the manifest field of a probe type, for error messages.
func fieldName(kind ProbeType) string {
	switch kind {
	case Liveness:
		return "livenessProbe"
	case Readiness:
		return "readinessProbe"
	default:
		return "startupProbe"
	}
}

// runProbe runs one probe of whatever kind the spec gives, once.
func runProbe(ctx context.Context, rt Runtime, client *http.Client, kind ProbeType, p *v1.Probe, t target) outcome {
	timeout := timingOf(p).timeout
	field := fieldName(kind)
	switch {
	case p.Exec != nil:
		return probeExec(ctx, rt, t, p.Exec.Command, timeout)
	case p.HTTPGet != nil:
		return probeHTTP(ctx, client, field+".httpGet", p.HTTPGet, t, timeout)
	case p.TCPSocket != nil:
		return probeTCP(ctx, field+".tcpSocket", p.TCPSocket, t, timeout)
	case p.GRPC != nil:
		return probeGRPC(ctx, field+".grpc", p.GRPC, t, timeout)
	default:
		return outcome{result: Unknown, message: field + " has no handler: give one of exec, httpGet, tcpSocket or grpc"}
	}
}
