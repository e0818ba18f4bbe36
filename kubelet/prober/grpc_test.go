package prober

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	v1 "k8s.io/api/core/v1"
)

// startGRPC serves gRPC on a loopback port, with the standard health
// service when withHealth is set.
func startGRPC(t testing.TB, withHealth bool) (int32, *health.Server) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	var hs *health.Server
	if withHealth {
		hs = health.NewServer()
		healthpb.RegisterHealthServer(srv, hs)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return int32(l.Addr().(*net.TCPAddr).Port), hs
}

func TestGRPCProbeFollowsHealthStatus(t *testing.T) {
	port, hs := startGRPC(t, true)
	svc := "orders"
	hs.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	tgt := loopbackTarget()

	probe := func(service *string) outcome {
		return probeGRPC(context.Background(), "f", &v1.GRPCAction{Port: port, Service: service}, tgt, time.Second)
	}
	if out := probe(nil); out.result != Success {
		t.Fatalf("overall health SERVING: %+v", out)
	}
	if out := probe(&svc); out.result != Success {
		t.Fatalf("service SERVING: %+v", out)
	}
	hs.SetServingStatus(svc, healthpb.HealthCheckResponse_NOT_SERVING)
	if out := probe(&svc); out.result != Failure || !strings.Contains(out.message, "responded with NOT_SERVING") {
		t.Fatalf("service NOT_SERVING: %+v", out)
	}
	other := "payments"
	if out := probe(&other); out.result != Failure || !strings.Contains(out.message, `does not know service "payments"`) {
		t.Fatalf("unknown service: %+v", out)
	}
}

func TestGRPCProbeFailsWithoutHealthServiceOrServer(t *testing.T) {
	port, _ := startGRPC(t, false)
	tgt := loopbackTarget()
	out := probeGRPC(context.Background(), "f", &v1.GRPCAction{Port: port}, tgt, time.Second)
	if out.result != Failure || !strings.Contains(out.message, "does not implement the grpc health protocol") {
		t.Fatalf("server without health service: %+v", out)
	}
	out = probeGRPC(context.Background(), "f", &v1.GRPCAction{Port: int32(freePort(t))}, tgt, time.Second)
	if out.result != Failure || !strings.Contains(out.message, "connection refused") {
		t.Fatalf("nothing listening: %+v", out)
	}
	out = probeGRPC(context.Background(), "f", &v1.GRPCAction{Port: 0}, tgt, time.Second)
	if out.result != Unknown || !strings.Contains(out.message, "f.port 0 is out of range") {
		t.Fatalf("port 0: %+v", out)
	}
}
