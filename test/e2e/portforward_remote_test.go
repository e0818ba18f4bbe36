//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestPortForwardTakesNoDirectPathAgainstARemoteServer is issue 14's
// defect 11: the direct path is not taken against a remote server. A pod
// runs on a private node (its own namespace, containerd and agent) whose
// API the CLI reaches over a veth, as another machine's would be. On this
// host an impostor answers at the same pod IP: a namespace of the test's
// own holding that address, with a host route to it. Dialling the pod IP
// from here reaches the impostor, so only the remote agent's tunnel gives
// the real pod's answer.
func TestPortForwardTakesNoDirectPathAgainstARemoteServer(t *testing.T) {
	// Ranges no other test and not the test bed (10.88.0.0/16) use: the
	// host route below must not shadow any real pod.
	const (
		podCIDR              = "10.66.1.0/24"
		hostLinkAddr, nodeIP = "192.168.166.1/30", "192.168.166.2"
	)
	node := framework.StartNode(t, framework.NodeConfig{PodCIDR: podCIDR})
	framework.LinkHost(t, node.Netns, "mkr"+framework.RandomHex(3), hostLinkAddr, "nodelink", nodeIP+"/30")
	agent := node.NewAgent(t)
	agent.Start()
	name := framework.UniqueName("remote-pf")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
	podIP := agentNetPodIPIn(t, agent.WaitPod(name, time.Minute, "Running", framework.Running), podCIDR)
	// The agent listens on its namespace's loopback (off-box it would need
	// TLS); a relay in the namespace serves that API on the node's link
	// address, which is not this host's.
	_, agentPort, _ := net.SplitHostPort(agent.Listen)
	remoteAPI := node.Netns.Relay(t, net.JoinHostPort(nodeIP, "0"), net.JoinHostPort("127.0.0.1", agentPort))

	impostorAt := net.JoinHostPort(podIP, "8080")
	startImpostor(t, podIP, impostorAt)
	if body, err := framework.HTTPGet(framework.Context(t, 10*time.Second), "http://"+impostorAt+"/"); err != nil || body != "impostor\n" {
		t.Fatalf("the impostor does not answer at %s from this host: %q, %v", impostorAt, body, err)
	}

	want := "You've hit " + name
	// The CLI runs on this host (agent.Binary would run it in the node's
	// namespace), with the agent's credentials and the relay as --server.
	// The agent's certificate names its loopback, not the relay's address.
	connection := append(agent.ClientArgs(), "--server", "https://"+remoteAPI, "--tls-server-name", "localhost")
	for _, path := range []string{"--kernel-redirect=true", "--kernel-redirect=false"} { // the direct path in the kernel, then in the CLI
		t.Run(path, func(t *testing.T) {
			session := startPortForwardCLI(t, framework.AgentBinary(t), connection, 1, path, "--address", "127.0.0.1", "--log-level", "debug", name, ":8080")
			for range 3 { // each on a new connection
				body, err := framework.HTTPGet(framework.Context(t, 20*time.Second), "http://"+session.local["8080"]+"/")
				if err != nil || strings.TrimSpace(body) != want {
					t.Fatalf("GET through port-forward to %s's agent at %s = %q, %v; want %q (the pod, not whatever answers at its IP on this host)\nport-forward stderr:\n%s",
						name, remoteAPI, body, err, want, session.stderr)
				}
			}
			if log := session.stderr.String(); !strings.Contains(log, "serverIsThisHost=false") {
				t.Errorf("port-forward did not log at debug that the server is not this host:\n%s", log)
			}
		})
	}
}

// startImpostor answers "impostor" at addr (ip:port) from a network
// namespace of the test's own, reached from the host by a veth and a host
// route to ip alone. Everything goes when the test ends.
func startImpostor(t *testing.T, ip, addr string) {
	t.Helper()
	ns := framework.NewNetns(t, "mki-")
	hostIf := "mki" + framework.RandomHex(3)
	framework.LinkHost(t, ns, hostIf, "", "eth0", ip+"/32")
	ns.MustRun(t, "ip", "route", "add", "default", "dev", "eth0") // answers go back over the veth
	framework.HostRoute(t, ip+"/32", hostIf)
	var listener net.Listener
	if err := ns.Do(func() error {
		var err error
		listener, err = net.Listen("tcp", addr)
		return err
	}); err != nil {
		t.Fatalf("impostor listening on %s: %v", addr, err)
	}
	server := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "impostor") }),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = server.Serve(listener) }()
	framework.Cleanup(t, "stop the impostor at "+addr, func(ctx context.Context) error { return server.Shutdown(ctx) })
}
