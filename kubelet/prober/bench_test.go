package prober

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The cost of one probe run of each kind against a loopback server: a
// node probing 100 containers every 10 s runs 10 of these a second.

func BenchmarkHTTPProbe(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	client := newHTTPClient()
	action := &v1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt(srv.Listener.Addr().(*net.TCPAddr).Port)}
	tgt := loopbackTarget()
	b.ReportAllocs()
	for b.Loop() {
		if out := probeHTTP(context.Background(), client, "f", action, tgt, time.Second); out.result != Success {
			b.Fatal(out)
		}
	}
}

func BenchmarkTCPProbe(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	action := &v1.TCPSocketAction{Port: intstr.FromInt(l.Addr().(*net.TCPAddr).Port)}
	tgt := loopbackTarget()
	b.ReportAllocs()
	for b.Loop() {
		if out := probeTCP(context.Background(), "f", action, tgt, time.Second); out.result != Success {
			b.Fatal(out)
		}
	}
}

func BenchmarkGRPCProbe(b *testing.B) {
	port, hs := startGRPC(b, true)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	tgt := loopbackTarget()
	b.ReportAllocs()
	for b.Loop() {
		if out := probeGRPC(context.Background(), "f", &v1.GRPCAction{Port: port}, tgt, time.Second); out.result != Success {
			b.Fatal(out)
		}
	}
}

// BenchmarkIdleWorkerMemory reports the heap and goroutines that 100
// containers with three probes each hold between probe runs.
func BenchmarkIdleWorkerMemory(b *testing.B) {
	for b.Loop() {
		m, err := NewManager(Config{Runtime: newFakeRuntime(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		spec := v1.Container{
			StartupProbe: execProbe("started"), LivenessProbe: execProbe("alive"), ReadinessProbe: execProbe("ready"),
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		goroutines := runtime.NumGoroutine()
		for i := range 100 {
			pod := testPod(types.UID(fmt.Sprintf("p%03d", i)), spec)
			m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: string(pod.UID), StartedAt: time.Now()}})
		}
		time.Sleep(50 * time.Millisecond) // let the first probes run
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/100/1024, "KiB/container")
		b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/100, "goroutines/container")
		m.Stop()
	}
}
