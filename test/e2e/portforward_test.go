//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
	"github.com/minikubelet/minikubelet/test/testutil"
)

// pfIdleHold is how long the idle test keeps a forwarded connection quiet;
// kubectl's sessions are known to drop idle connections well before.
const pfIdleHold = 2 * time.Minute

// pfKubiaManifest runs kubia with a port on every interface (8080, named
// http), one on the pod's localhost only (9090), and a UDP echo (5353).
func pfKubiaManifest(name, image string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  containers:
  - name: kubia
    image: %s
    args: ["-extra-listen", "127.0.0.1:9090", "-udp-echo", ":5353"]
    ports:
    - {name: http, containerPort: 8080}
    - {name: dns, containerPort: 5353, protocol: UDP}
`, name, image)
}

// startKubiaPod runs the port-forward test pod on a fresh agent.
func startKubiaPod(t testing.TB) (*framework.Agent, *v1.Pod) {
	t.Helper()
	agent := framework.StartAgent(t)
	name := framework.UniqueName("pf")
	agent.WriteManifest(name+".yaml", pfKubiaManifest(name, agent.Env.KubiaImage))
	pod := agent.WaitPod(name, 90*time.Second, "Running", framework.Running)
	// Running comes a moment before kubia listens; a session started in
	// that moment rightly keeps 8080 on the tunnel (its probe of the pod
	// IP is refused), which the kernel-redirect subtest would misread.
	if _, err := framework.HTTPGet(framework.Context(t, 30*time.Second), "http://"+net.JoinHostPort(pod.Status.PodIP, "8080")+"/"); err != nil {
		t.Fatalf("pod %s does not answer on its IP: %v", name, err)
	}
	return agent, pod
}

// pfSession is a running `minikubelet port-forward` process.
type pfSession struct {
	cmd    *exec.Cmd
	local  map[string]string // "8080", "5353/udp" → local address
	stderr *testutil.SyncBuffer
	exited chan error
}

var pfForwardingLine = regexp.MustCompile(`^Forwarding from (127\.0\.0\.1:\d+|\[::1\]:\d+) -> (\d+)( \(UDP\))?$`)

// startPortForward runs the real CLI and waits for one Forwarding line
// per expected socket. Sockets are keyed by remote port ("8080",
// "5353/udp"), prefixed with "v6:" for those on ::1.
func startPortForward(t testing.TB, agent *framework.Agent, sockets int, args ...string) *pfSession {
	t.Helper()
	return startPortForwardCLI(t, agent.Binary, agent.ClientArgs(), sockets, args...)
}

// startPortForwardCLI is startPortForward with the CLI binary and its
// connection flags given.
func startPortForwardCLI(t testing.TB, binary string, connection []string, sockets int, args ...string) *pfSession {
	t.Helper()
	full := append(append([]string{"port-forward"}, connection...), args...)
	s := &pfSession{cmd: exec.Command(binary, full...), local: map[string]string{}, stderr: &testutil.SyncBuffer{}, exited: make(chan error, 1)}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
		s.exited <- s.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
	deadline := time.After(30 * time.Second)
	for len(s.local) < sockets {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("minikubelet %s exited before forwarding:\n%s", strings.Join(full, " "), s.stderr)
			}
			m := pfForwardingLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("unexpected port-forward output %q", line)
			}
			key := m[2]
			if m[3] != "" {
				key += "/udp"
			}
			if strings.HasPrefix(m[1], "[") {
				key = "v6:" + key
			}
			s.local[key] = m[1]
		case <-deadline:
			t.Fatalf("port-forward printed %d of %d Forwarding lines in 30s; stderr:\n%s", len(s.local), sockets, s.stderr)
		}
	}
	go func() {
		for range lines {
		}
	}()
	return s
}

// wait returns the CLI's exit error, failing the test after timeout.
func (s *pfSession) wait(t testing.TB, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-s.exited:
		s.exited <- err // for the cleanup
		return err
	case <-time.After(timeout):
		t.Fatalf("port-forward still running after %s; stderr:\n%s", timeout, s.stderr)
		return nil
	}
}

// TestPortForward drives one port-forward session the way a user would:
// HTTP through it, a port bound to the pod's localhost only, a burst of 500
// parallel requests, a connection idle for two minutes, UDP, a failing
// connection that must not end the session, and the pod's deletion, which
// must.
func TestPortForward(t *testing.T) {
	agent, pod := startKubiaPod(t)
	want := "You've hit " + pod.Name
	// 127.0.0.1:8080 is redirected in the kernel, [::1]:8080 relayed by
	// the CLI to the pod IP, 9090 (pod localhost only) goes through the
	// runtime's tunnel: one session exercises all three paths.
	session := startPortForward(t, agent, 8, "--address", "127.0.0.1,::1", pod.Name, ":http", ":9090", ":7777", ":5353/udp")

	idleDone := make(chan error, 3)
	for _, port := range []string{"8080", "v6:8080", "9090"} {
		conn := pfKeepAlive(t, session.local[port], want)
		go func() { idleDone <- pfIdleThenAsk(conn, want) }()
	}

	t.Run("http", func(t *testing.T) {
		pfExpectGet(t, "http://"+session.local["8080"]+"/", want)
		pfExpectGet(t, "http://"+session.local["v6:8080"]+"/", want)
	})
	t.Run("kernel redirect", func(t *testing.T) {
		conn, err := net.Dial("tcp", session.local["8080"])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if got, want := conn.RemoteAddr().String(), net.JoinHostPort(pod.Status.PodIP, "8080"); got != want {
			t.Fatalf("a connection to %s is connected to %s, want %s (redirected to the pod in the kernel)", session.local["8080"], got, want)
		}
	})
	t.Run("pod-localhost only", func(t *testing.T) {
		if conn, err := net.DialTimeout("tcp", net.JoinHostPort(pod.Status.PodIP, "9090"), 2*time.Second); err == nil {
			conn.Close()
			t.Fatalf("kubia's 9090 answers on the pod IP; the test needs a port bound to the pod's localhost only")
		}
		pfExpectGet(t, "http://"+session.local["9090"]+"/", want)
	})
	for _, port := range []string{"8080", "v6:8080", "9090"} {
		t.Run("500 parallel requests to "+port, func(t *testing.T) {
			pfParallelGets(t, "http://"+session.local[port]+"/", want, 500)
		})
	}
	t.Run("udp", func(t *testing.T) {
		pfUDPEcho(t, session.local["5353/udp"])
	})
	t.Run("a failing connection does not end the session", func(t *testing.T) {
		conn, err := net.Dial("tcp", session.local["7777"])
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := conn.Read(make([]byte, 1)); err == nil {
			t.Fatalf("read %d bytes from a pod port nothing listens on", n)
		}
		conn.Close()
		pfExpectGet(t, "http://"+session.local["8080"]+"/", want)
		pfExpectGet(t, "http://"+session.local["9090"]+"/", want)
	})
	t.Run("idle connections survive "+pfIdleHold.String(), func(t *testing.T) {
		for range 3 {
			if err := <-idleDone; err != nil {
				t.Error(err)
			}
		}
		if t.Failed() {
			var status any = "gone"
			if now := agent.Pod(pod.Name); now != nil {
				status = now.Status
			}
			t.Logf("pod now: %+v\nport-forward stderr:\n%s\nagent log (tail):\n%s", status, session.stderr, pfTail(agent.Logs(), 40))
		}
	})
	t.Run("deleting the pod ends the session", func(t *testing.T) {
		agent.RemoveManifest(pod.Name + ".yaml")
		err := session.wait(t, 30*time.Second)
		if err == nil || !strings.Contains(session.stderr.String(), "pod default/"+pod.Name+" was deleted") {
			t.Fatalf("port-forward exit %v, stderr:\n%s\nwant a non-zero exit saying the pod was deleted", err, session.stderr)
		}
	})
}

// TestPortForwardInterruptEndsCleanly checks Ctrl-C: exit status 0 and
// the local port released at once.
func TestPortForwardInterruptEndsCleanly(t *testing.T) {
	agent, pod := startKubiaPod(t)
	session := startPortForward(t, agent, 1, "--address", "127.0.0.1", "--direct", "never", pod.Name, ":8080")
	pfExpectGet(t, "http://"+session.local["8080"]+"/", "You've hit "+pod.Name)
	_ = session.cmd.Process.Signal(syscall.SIGINT)
	if err := session.wait(t, 10*time.Second); err != nil {
		t.Fatalf("port-forward after SIGINT: %v, want exit 0; stderr:\n%s", err, session.stderr)
	}
	if conn, err := net.Dial("tcp", session.local["8080"]); err == nil {
		conn.Close()
		t.Fatal("the local port still accepts connections after Ctrl-C")
	}
}

func pfExpectGet(t *testing.T, url, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	body, err := framework.HTTPGet(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(body) != want {
		t.Fatalf("GET %s = %q, want %q", url, body, want)
	}
}

// pfParallelGets sends n requests at once, each on its own connection, and
// counts every failure.
func pfParallelGets(t *testing.T, url, want string, n int) {
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: 0}}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := client.Get(url)
			if err != nil {
				errs <- err
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || strings.TrimSpace(string(body)) != want {
				errs <- fmt.Errorf("status %d body %q err %v", resp.StatusCode, body, err)
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed <= 5 {
			t.Errorf("request failed: %v", err)
		}
	}
	t.Logf("%d parallel requests through port-forward in %s, %d failed", n, time.Since(began).Round(time.Millisecond), failed)
	if failed > 0 {
		t.Fatalf("%d of %d requests failed", failed, n)
	}
}

// pfKeepAlive opens a connection through the forward and makes one HTTP
// request on it, leaving it open for more.
func pfKeepAlive(t *testing.T, addr, want string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := pfAsk(conn, want); err != nil {
		t.Fatalf("first request on the kept-alive connection to %s: %v", addr, err)
	}
	return conn
}

// pfIdleThenAsk keeps conn quiet for pfIdleHold, then asks again on it.
func pfIdleThenAsk(conn net.Conn, want string) error {
	time.Sleep(pfIdleHold)
	if err := pfAsk(conn, want); err != nil {
		return fmt.Errorf("connection through %s idle for %s: %w", conn.RemoteAddr(), pfIdleHold, err)
	}
	return nil
}

// pfAsk sends one HTTP/1.1 keep-alive request on conn and checks the answer.
func pfAsk(conn net.Conn, want string) error {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	defer conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: kubia\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || strings.TrimSpace(string(body)) != want {
		return fmt.Errorf("answer %q, %v; want %q", body, err, want)
	}
	return nil
}

func pfUDPEcho(t *testing.T, addr string) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 3 {
		msg := fmt.Sprintf("datagram %d", i)
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 256)
		n, err := conn.Read(buf)
		if err != nil || string(buf[:n]) != msg {
			t.Fatalf("UDP echo of %q through port-forward: %q, %v", msg, buf[:n], err)
		}
	}
}

// pfTail returns the last n lines of text.
func pfTail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
