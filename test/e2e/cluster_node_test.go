//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterNodeJoinsAndKeepsItsLease joins a real control plane (the
// test bed's kube-apiserver, controller-manager and scheduler) with a node
// client certificate and checks, with the real kubectl as the cluster's
// administrator, what a user of the cluster sees: the Node registered and
// Ready with its labels, runtime and capacity; its Lease renewed; the Node
// kept but the Lease left alone while the agent is stopped, until the
// controller marks it Unknown; the same Node adopted and Ready again when
// it starts again. Skipped without test/testbed/env.cluster.
func TestClusterNodeJoinsAndKeepsItsLease(t *testing.T) {
	const maxPods = 17 // not the default, so capacity shows it is the flag's
	agent, admin, _ := joinedAgent(t, "--max-pods", "17")
	agent.Start()

	node := waitNode(t, admin, agent.NodeName, 60*time.Second, "Ready", func(n *v1.Node) bool {
		return nodeCondition(n, v1.NodeReady) == v1.ConditionTrue
	})
	checkRegisteredNode(t, node, agent, maxPods)

	first := getLease(t, admin, agent.NodeName)
	if first.Spec.HolderIdentity == nil || *first.Spec.HolderIdentity != agent.NodeName ||
		first.Spec.LeaseDurationSeconds == nil || *first.Spec.LeaseDurationSeconds != 40 {
		t.Errorf("lease spec %+v: want holder %s, 40s", first.Spec, agent.NodeName)
	}
	if refs := first.OwnerReferences; len(refs) != 1 || refs[0].Kind != "Node" || refs[0].UID != node.UID {
		t.Errorf("lease owners %+v: want the Node %s", refs, node.UID)
	}
	renewed := waitRenewedAfter(t, admin, agent.NodeName, first.Spec.RenewTime.Time, 25*time.Second)
	t.Logf("lease renewed %s after the previous renewal", renewed.Sub(first.Spec.RenewTime.Time).Round(time.Millisecond))

	// Stopped, the agent leaves its Node in the cluster and stops renewing.
	agent.Signal(syscall.SIGTERM)
	stoppedAt := getLease(t, admin, agent.NodeName).Spec.RenewTime.Time
	time.Sleep(15 * time.Second)
	if after := getLease(t, admin, agent.NodeName).Spec.RenewTime.Time; !after.Equal(stoppedAt) {
		t.Errorf("lease renewed at %v after the agent stopped (last %v)", after, stoppedAt)
	}
	if kept := getNode(t, admin, agent.NodeName); kept == nil || kept.UID != node.UID {
		t.Fatalf("the Node did not outlive the agent: %+v", kept)
	}

	// Without renewals, the node lifecycle controller marks it Unknown
	// once its grace period (50s) has passed.
	waitNode(t, admin, agent.NodeName, 90*time.Second, "Ready Unknown", func(n *v1.Node) bool {
		return nodeCondition(n, v1.NodeReady) == v1.ConditionUnknown
	})

	// Started again, it adopts the same Node, reports it Ready over the
	// controller's Unknown and renews its Lease again.
	restarted := time.Now()
	agent.Start()
	again := waitNode(t, admin, agent.NodeName, 30*time.Second, "Ready again", func(n *v1.Node) bool {
		return nodeCondition(n, v1.NodeReady) == v1.ConditionTrue
	})
	t.Logf("Ready again %s after the restart", time.Since(restarted).Round(time.Millisecond))
	if again.UID != node.UID {
		t.Errorf("after restart: uid %s, was %s: the Node was not adopted", again.UID, node.UID)
	}
	waitRenewedAfter(t, admin, agent.NodeName, stoppedAt, 30*time.Second)
	if !strings.Contains(agent.Logs(), "adopted the existing node") {
		t.Errorf("the agent's log does not say it adopted the node:\n%s", agent.Logs())
	}
}

// checkRegisteredNode checks what the agent registered.
func checkRegisteredNode(t *testing.T, n *v1.Node, agent *framework.Agent, maxPods int64) {
	t.Helper()
	for key, want := range map[string]string{
		v1.LabelHostname: agent.NodeName, v1.LabelOSStable: runtime.GOOS, v1.LabelArchStable: runtime.GOARCH,
	} {
		if got := n.Labels[key]; got != want {
			t.Errorf("label %s = %q, want %q", key, got, want)
		}
	}
	info := n.Status.NodeInfo
	if !strings.HasPrefix(info.ContainerRuntimeVersion, "containerd://") || info.KernelVersion == "" || info.OSImage == "" ||
		!strings.Contains(info.KubeletVersion, "minikubelet") || info.BootID == "" {
		t.Errorf("nodeInfo %+v: want containerd://, kernel, OS image, a minikubelet version, boot id", info)
	}
	if pods := n.Status.Capacity.Pods().Value(); pods != maxPods {
		t.Errorf("capacity pods = %d, want --max-pods %d", pods, maxPods)
	}
	if n.Status.Capacity.Cpu().IsZero() || n.Status.Capacity.Memory().IsZero() || n.Status.Capacity.StorageEphemeral().IsZero() {
		t.Errorf("capacity %v: want cpu, memory and ephemeral-storage", n.Status.Capacity)
	}
	if port := agent.KubeletPort; port != itoa(n.Status.DaemonEndpoints.KubeletEndpoint.Port) {
		t.Errorf("kubelet endpoint port %d, want the agent's --kubelet-port %s", n.Status.DaemonEndpoints.KubeletEndpoint.Port, port)
	}
	var internalIP bool
	for _, a := range n.Status.Addresses {
		internalIP = internalIP || a.Type == v1.NodeInternalIP && net.ParseIP(a.Address) != nil
	}
	if !internalIP {
		t.Errorf("addresses %v: no InternalIP", n.Status.Addresses)
	}
	for _, c := range []v1.NodeConditionType{v1.NodeMemoryPressure, v1.NodeDiskPressure, v1.NodePIDPressure, v1.NodeNetworkUnavailable} {
		if got := nodeCondition(n, c); got != v1.ConditionFalse {
			t.Errorf("%s = %s, want False on a healthy test machine", c, got)
		}
	}
}

func waitNode(t *testing.T, admin cli, name string, timeout time.Duration, what string, cond func(*v1.Node) bool) *v1.Node {
	t.Helper()
	var n *v1.Node
	framework.WaitUntil(t, timeout, "node "+name+" "+what, func() bool {
		n = getNode(t, admin, name)
		return n != nil && cond(n)
	})
	return n
}

// getNode is the Node as the API server has it, or nil when it has none.
func getNode(t *testing.T, admin cli, name string) *v1.Node {
	t.Helper()
	out, errOut, err := admin.run("", "get", "node", name, "-o", "json")
	if err != nil {
		if strings.Contains(errOut, "NotFound") {
			return nil
		}
		t.Fatalf("kubectl get node %s: %v\n%s", name, err, errOut)
	}
	var n v1.Node
	if err := json.Unmarshal([]byte(out), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

func getLease(t *testing.T, admin cli, name string) *coordinationv1.Lease {
	t.Helper()
	var l coordinationv1.Lease
	if err := json.Unmarshal([]byte(admin.must("get", "lease", "-n", "kube-node-lease", name, "-o", "json")), &l); err != nil {
		t.Fatal(err)
	}
	if l.Spec.RenewTime == nil {
		t.Fatalf("lease %s has no renewTime", name)
	}
	return &l
}

// waitRenewedAfter waits until the Lease's renewTime is after since.
func waitRenewedAfter(t *testing.T, admin cli, name string, since time.Time, timeout time.Duration) time.Time {
	t.Helper()
	var renewed time.Time
	framework.WaitUntil(t, timeout, "lease "+name+" renewed", func() bool {
		renewed = getLease(t, admin, name).Spec.RenewTime.Time
		return renewed.After(since)
	})
	return renewed
}

func nodeCondition(n *v1.Node, t v1.NodeConditionType) v1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return v1.ConditionUnknown
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// TestClusterNodeBootstrapsFromAToken joins with the test bed's
// bootstrap-token kubeconfig, as `kubeadm join` does: the agent asks for
// a node client certificate by CSR, the controller-manager approves and
// signs it, and the node registers with it. A restart reuses the
// certificate instead of asking again.
func TestClusterNodeBootstrapsFromAToken(t *testing.T) {
	_, agent, admin := bootstrapAgent(t)
	agent.Start()

	waitNodeReady(t, admin, agent.NodeName, 90*time.Second)
	csrs := nodeCSRs(t, admin, agent.NodeName)
	if len(csrs) != 1 {
		t.Fatalf("CSRs for system:node:%s: %v, want one", agent.NodeName, csrs)
	}
	certPath := filepath.Join(agent.RootDir, "cluster", "node-client.pem")
	info, err := os.Stat(certPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("node certificate %s: %v, %v; want mode 0600", certPath, info, err)
	}
	if out := framework.MustRun(t, "openssl", "x509", "-noout", "-subject", "-in", certPath); !strings.Contains(out, "system:node:"+agent.NodeName) {
		t.Errorf("certificate subject %s", out)
	}

	agent.Signal(syscall.SIGTERM)
	stoppedAt := getLease(t, admin, agent.NodeName).Spec.RenewTime.Time
	agent.Start()
	waitRenewedAfter(t, admin, agent.NodeName, stoppedAt, 30*time.Second)
	if again := nodeCSRs(t, admin, agent.NodeName); len(again) != 1 {
		t.Errorf("CSRs after a restart: %v; want the first certificate reused", again)
	}
}

// bootstrapAgent prepares (does not start) an agent that joins with the
// test bed's bootstrap-token kubeconfig; its Node and CSRs are deleted
// when the test ends, and its log shown if the test failed.
func bootstrapAgent(t *testing.T) (*framework.ClusterEnv, *framework.Agent, cli) {
	t.Helper()
	cluster := framework.LoadClusterEnv(t)
	agent := framework.NewAgent(t, "--kubeconfig", cluster.NodeKubeconfig)
	admin := kubectlWith(t, "--kubeconfig", cluster.Kubeconfig)
	framework.Cleanup(t, "delete the Node and its CSRs", func(context.Context) error {
		_, _, err := admin.run("", "delete", "node", agent.NodeName, "--ignore-not-found", "--wait=false")
		for _, name := range nodeCSRs(t, admin, agent.NodeName) {
			_, _, _ = admin.run("", "delete", "csr", name, "--ignore-not-found")
		}
		return err
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", agent.Logs())
		}
	})
	return cluster, agent, admin
}

// nodeCSRs names the CSRs that ask for node name's client certificate.
func nodeCSRs(t *testing.T, admin cli, name string) []string {
	t.Helper()
	var list certificatesv1.CertificateSigningRequestList
	if err := json.Unmarshal([]byte(admin.must("get", "csr", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, csr := range list.Items {
		block, _ := pem.Decode(csr.Spec.Request)
		if block == nil {
			continue
		}
		req, err := x509.ParseCertificateRequest(block.Bytes)
		if err == nil && req.Subject.CommonName == "system:node:"+name {
			names = append(names, csr.Name)
		}
	}
	return names
}

// TestClusterNodeRotatesItsCertificate starts a bootstrapped node whose
// client certificate (signed by the cluster CA, as the bootstrap would
// have got it) is past the point of its life where the kubelet renews
// one: the agent asks for a new one with its node credentials (no
// bootstrap token), the controller-manager approves it, and the agent
// replaces its credentials file; the node stays Ready.
func TestClusterNodeRotatesItsCertificate(t *testing.T) {
	cluster, agent, admin := bootstrapAgent(t)
	// 23 of its 25 hours gone (92 %), 2 left: valid at start (the agent
	// wants 1 h), due for rotation at any jitter (70-90 %).
	ca := loadCA(t, filepath.Dir(cluster.CA))
	certPEM, keyPEM := signClientCertPEM(t, ca, time.Now().Add(-23*time.Hour), time.Now().Add(2*time.Hour),
		"system:node:"+agent.NodeName, "system:nodes")
	dir := filepath.Join(agent.RootDir, "cluster")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	credentials := filepath.Join(dir, "node-client.pem")
	if err := os.WriteFile(credentials, append(certPEM, keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "node.kubeconfig"), []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 90*time.Second)
	var notAfter time.Time
	framework.WaitUntil(t, 60*time.Second, "the node's credentials replaced by a long-lived certificate", func() bool {
		pair, err := tls.LoadX509KeyPair(credentials, credentials)
		if err != nil {
			return false
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return false
		}
		notAfter = leaf.NotAfter
		return leaf.Subject.CommonName == "system:node:"+agent.NodeName && time.Until(notAfter) > 24*time.Hour
	})
	t.Logf("certificate rotated %s after the agent started; the new one expires %s", time.Since(started).Round(time.Millisecond), notAfter.Format(time.RFC3339))
	var list certificatesv1.CertificateSigningRequestList
	if err := json.Unmarshal([]byte(admin.must("get", "csr", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	names := nodeCSRs(t, admin, agent.NodeName)
	for _, csr := range list.Items {
		if slices.Contains(names, csr.Name) && csr.Spec.Username != "system:node:"+agent.NodeName {
			t.Errorf("CSR %s was asked by %q, want the node itself (its current certificate), not a bootstrap token", csr.Name, csr.Spec.Username)
		}
	}
	if len(names) != 1 {
		t.Errorf("CSRs of the node: %v, want one (the rotation)", names)
	}
	if info, err := os.Stat(credentials); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("credentials %v, %v: want mode 0600", info, err)
	}
}
