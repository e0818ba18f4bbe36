package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/testutil"
)

type runningServer struct {
	srv     *server
	stdout  *testutil.SyncBuffer
	stderr  *testutil.SyncBuffer
	signals chan os.Signal
	exit    chan int
}

// startServer runs a server on loopback ports chosen by the kernel.
func startServer(t *testing.T, opts options) *runningServer {
	t.Helper()
	if opts.listen == "" {
		opts.listen = "127.0.0.1:0"
	}
	rs := &runningServer{stdout: &testutil.SyncBuffer{}, stderr: &testutil.SyncBuffer{}, signals: make(chan os.Signal, 1), exit: make(chan int, 1)}
	rs.srv = newServer(opts, "test-host", rs.stdout, rs.stderr)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { rs.exit <- rs.srv.run(ctx, rs.signals) }()
	select {
	case <-rs.srv.ready:
	case code := <-rs.exit:
		t.Fatalf("server exited %d before listening: %s", code, rs.stderr)
	case <-time.After(5 * time.Second):
		t.Fatal("server not listening after 5s")
	}
	return rs
}

func (rs *runningServer) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-rs.exit:
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("server did not exit within 5s")
		return -1
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServerAnswersHostnameAndLogsRequests(t *testing.T) {
	rs := startServer(t, options{extraListen: "127.0.0.1:0"})
	if len(rs.srv.addrs) != 2 {
		t.Fatalf("listening on %v, want main and extra listener", rs.srv.addrs)
	}
	for _, addr := range rs.srv.addrs {
		status, body := httpGet(t, "http://"+addr.String()+"/some/path")
		if status != 200 || body != "You've hit test-host\n" {
			t.Fatalf("GET on %s = %d %q", addr, status, body)
		}
	}
	if got := strings.Count(rs.stdout.String(), "GET /some/path from 127.0.0.1:"); got != 2 {
		t.Fatalf("want 2 request log lines, stdout:\n%s", rs.stdout)
	}
}

func TestProbeEndpointsFollowSwitchFiles(t *testing.T) {
	dir := t.TempDir()
	unhealthy, unready := filepath.Join(dir, "unhealthy"), filepath.Join(dir, "unready")
	rs := startServer(t, options{unhealthyFile: unhealthy, unreadyFile: unready})
	base := "http://" + rs.srv.addrs[0].String()
	for _, path := range []string{"/healthz", "/ready"} {
		if status, body := httpGet(t, base+path); status != 200 || body != "ok\n" {
			t.Fatalf("%s = %d %q before the switch file exists", path, status, body)
		}
	}
	if err := os.WriteFile(unhealthy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if status, _ := httpGet(t, base+"/healthz"); status != 500 {
		t.Fatalf("/healthz = %d with %s present, want 500", status, unhealthy)
	}
	if status, _ := httpGet(t, base+"/ready"); status != 200 {
		t.Fatalf("/ready = %d, must not follow the health file", status)
	}
}

func TestLogLinesPartialThenExitCode(t *testing.T) {
	rs := startServer(t, options{logLines: 3, logPartial: true, logStderr: true, exitRequested: true, exitCode: 7, exitAfter: 20 * time.Millisecond})
	if code := rs.waitExit(t); code != 7 {
		t.Fatalf("exit code %d, want 7", code)
	}
	if got := rs.stderr.String(); got != "line 1\nline 2\nline 3" {
		t.Fatalf("stderr %q, want three lines with the last one partial", got)
	}
	if strings.Contains(rs.stdout.String(), "line 1") {
		t.Fatalf("log lines leaked to stdout: %q", rs.stdout)
	}
}

func TestSigtermMarkerAndIgnore(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "terminated")
	rs := startServer(t, options{ignoreSigterm: true, sigtermFile: marker})
	rs.signals <- syscall.SIGTERM
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(rs.stdout.String(), "ignoring") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if content, err := os.ReadFile(marker); err != nil || string(content) != "SIGTERM\n" {
		t.Fatalf("marker %q, %v", content, err)
	}
	select {
	case code := <-rs.exit:
		t.Fatalf("exited %d although SIGTERM is ignored", code)
	case <-time.After(50 * time.Millisecond):
	}
	rs.signals <- syscall.SIGINT
	if code := rs.waitExit(t); code != 0 {
		t.Fatalf("exit on SIGINT = %d", code)
	}
}

func TestSigtermStopsByDefault(t *testing.T) {
	rs := startServer(t, options{})
	addr := rs.srv.addrs[0].String()
	rs.signals <- syscall.SIGTERM
	if code := rs.waitExit(t); code != 0 {
		t.Fatalf("exit on SIGTERM = %d", code)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after exit", addr)
	}
}

func TestUDPEcho(t *testing.T) {
	rs := startServer(t, options{udpEcho: "127.0.0.1:0"})
	udpAddr := rs.srv.addrs[len(rs.srv.addrs)-1].String()
	conn, err := net.Dial("udp", udpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 16)
	n, err := conn.Read(reply)
	if err != nil || string(reply[:n]) != "ping" {
		t.Fatalf("echo = %q, %v", reply[:n], err)
	}
}

func TestListenErrorNamesAddress(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var stderr testutil.SyncBuffer
	srv := newServer(options{listen: taken.Addr().String()}, "h", io.Discard, &stderr)
	if code := srv.run(context.Background(), nil); code != 1 || !strings.Contains(stderr.String(), taken.Addr().String()) {
		t.Fatalf("run = %d, stderr %q; want 1 naming the address", code, stderr.String())
	}
}

func TestAllocateTouchesMemory(t *testing.T) {
	held := allocate(3)
	if len(held) != 3 || len(held[2]) != 1<<20 || held[2][4096] != 1 {
		t.Fatalf("allocate(3) returned %d blocks", len(held))
	}
}
