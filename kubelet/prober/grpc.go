package prober

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
)

// probeGRPC runs a grpc probe: one grpc.health.v1.Health/Check call to the
// pod IP (the field has no host) on a fresh plaintext connection, which
// succeeds when the answer is SERVING.
func probeGRPC(ctx context.Context, field string, action *v1.GRPCAction, t target, timeout time.Duration) outcome {
	if action.Port < 1 || action.Port > 65535 {
		return outcome{result: Unknown, message: fmt.Sprintf("%s.port %d is out of range: give 1-65535", field, action.Port)}
	}
	host, err := t.host()
	if err != nil {
		return outcome{result: Unknown, message: err.Error()}
	}
	address := net.JoinHostPort(host, strconv.Itoa(int(action.Port)))
	// passthrough: the address is an IP, no resolver is wanted.
	conn, err := grpc.NewClient("passthrough:///"+address,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUserAgent(userAgent))
	if err != nil {
		return outcome{result: Unknown, message: fmt.Sprintf("%s: connecting to %s: %v", field, address, err)}
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	service := ""
	if action.Service != nil {
		service = *action.Service
	}
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return outcome{result: Failure, message: grpcFailure(address, service, timeout, err)}
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return outcome{result: Failure, message: fmt.Sprintf("service %q at %s is unhealthy (responded with %s)", service, address, resp.GetStatus())}
	}
	return outcome{result: Success}
}

// grpcFailure explains a failed health call in the kubelet's words, with
// the address and service added.
func grpcFailure(address, service string, timeout time.Duration, err error) string {
	st := status.Convert(err)
	switch st.Code() {
	case codes.Unimplemented:
		return fmt.Sprintf("the server at %s does not implement the grpc health protocol (grpc.health.v1.Health): %s", address, st.Message())
	case codes.DeadlineExceeded:
		return fmt.Sprintf("timeout: health rpc to %s did not complete within %s", address, timeout)
	case codes.NotFound:
		return fmt.Sprintf("the server at %s does not know service %q: %s", address, service, st.Message())
	default:
		return fmt.Sprintf("health rpc to %s failed: %s (%s)", address, st.Message(), st.Code())
	}
}
