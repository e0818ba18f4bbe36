package prober

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestRealProbesLeaveNoGoroutinesOrSockets runs gRPC startup, TCP liveness
// and HTTP readiness probes (named port) against real loopback servers for
// 20 pods, in real time, then removes the pods: the goroutine count and
// open file descriptors must return to where they were.
func TestRealProbesLeaveNoGoroutinesOrSockets(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer web.Close()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	go func() {
		for {
			conn, err := tcp.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	grpcPort, hs := startGRPC(t, true)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)

	m, rec, _ := testManager(t, newFakeRuntime())
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)

	spec := v1.Container{
		Ports:          []v1.ContainerPort{{Name: "http", ContainerPort: int32(portOf(t, web.URL))}},
		StartupProbe:   &v1.Probe{ProbeHandler: v1.ProbeHandler{GRPC: &v1.GRPCAction{Port: grpcPort}}, PeriodSeconds: 1},
		LivenessProbe:  &v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt(tcp.Addr().(*net.TCPAddr).Port)}}, PeriodSeconds: 1},
		ReadinessProbe: &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}}, PeriodSeconds: 1},
	}
	var pods []*v1.Pod
	for i := range 20 {
		pod := testPod(types.UID(fmt.Sprintf("p%02d", i)), spec)
		pods = append(pods, pod)
		m.UpdatePod(pod, "127.0.0.1", []RunningContainer{{Name: "web", ID: "c" + string(pod.UID), StartedAt: time.Now()}})
	}
	waitFor(t, 10*time.Second, "all 20 pods ready", func() bool {
		for _, pod := range pods {
			if !m.Ready(pod.UID, &pod.Spec.Containers[0], "c"+string(pod.UID)) {
				return false
			}
		}
		return true
	})
	time.Sleep(1500 * time.Millisecond) // a liveness and readiness round more
	for _, pod := range pods {
		if _, failed := m.LivenessFailed(pod.UID, "c"+string(pod.UID)); failed {
			t.Fatalf("pod %s failed liveness against a listening port", pod.Name)
		}
	}
	if n := rec.changeCount(); n != 40 {
		t.Fatalf("OnChange called %d times, want 40 (started and ready for each pod)", n)
	}
	for _, pod := range pods {
		m.RemovePod(pod.UID)
	}
	waitFor(t, 10*time.Second, "goroutines and fds back to their count before the pods", func() bool {
		return runtime.NumGoroutine() <= goroutines && openFDs(t) <= fds
	})
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(entries)
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s (goroutines now %d)", what, timeout, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
