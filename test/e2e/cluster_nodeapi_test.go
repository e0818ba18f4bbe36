//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterLogsExecPortForwardThroughTheAPIServer joins the test bed's
// control plane with a static kubia pod and drives its mirror pod with the
// real kubectl as the cluster's administrator: `kubectl logs`, `kubectl
// exec`, `kubectl attach` and `kubectl port-forward` go through kube-apiserver to the node
// endpoint on --kubelet-port, which the Node reports. Then, calling that
// endpoint directly: no client certificate and one from another CA are
// 401; a certificate of the cluster CA for a user without RBAC rights on
// nodes/proxy is 403, and the same user is served once a ClusterRole
// grants it, so the answer is the API server's SubjectAccessReview.
// Skipped without test/testbed/env.cluster.
func TestClusterLogsExecPortForwardThroughTheAPIServer(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	mirrorName := "web-" + agent.NodeName
	user := framework.UniqueName("e2e-viewer")
	objects.add("clusterrolebinding,clusterrole", user)
	objects.pod(mirrorName)
	agent.WriteManifest("web.yaml", apiKubiaManifest("web", agent.Env.KubiaImage))
	agent.Start()
	agent.WaitPod("web", 90*time.Second, "running", framework.Running)
	framework.WaitUntil(t, 60*time.Second, "mirror pod Running", func() bool {
		m := getMirror(t, admin, mirrorName)
		return m != nil && m.Status.Phase == v1.PodRunning
	})
	node := getNode(t, admin, agent.NodeName)
	if port := itoa(node.Status.DaemonEndpoints.KubeletEndpoint.Port); port != agent.KubeletPort {
		t.Fatalf("the Node reports kubelet port %s, want --kubelet-port %s", port, agent.KubeletPort)
	}

	// kubectl logs, exec and port-forward, through kube-apiserver.
	started := time.Now()
	if out := admin.must("logs", mirrorName); !strings.Contains(out, "listening on") {
		t.Errorf("kubectl logs %s:\n%s", mirrorName, out)
	}
	t.Logf("kubectl logs answered in %s", time.Since(started).Round(time.Millisecond))
	logLines, stopLogs := admin.background("logs", "-f", mirrorName, "--tail=1")
	started = time.Now()
	admin.mustVerb("exec", mirrorName, "--", "/kubia", "write", "/tmp/e2e/note", "written", "through", "the", "API", "server")
	if out := admin.mustVerb("exec", mirrorName, "-c", "kubia", "--", "/kubia", "cat", "/tmp/e2e/note"); strings.TrimSpace(out) != "written through the API server" {
		t.Errorf("kubectl exec cat printed %q", out)
	}
	if out, errOut, err := admin.verb("from stdin\n", "exec", "-i", mirrorName, "--", "/kubia", "cat", "/dev/stdin"); err != nil || out != "from stdin\n" {
		t.Errorf("kubectl exec -i cat /dev/stdin: %q, %v\n%s", out, err, errOut)
	}
	if _, errOut, err := admin.verb("", "exec", mirrorName, "--", "/kubia", "cat", "/nonexistent"); exitCode(err) != 1 {
		t.Errorf("kubectl exec of a failing command: exit %d, stderr %q; want its exit code 1", exitCode(err), errOut)
	}
	t.Logf("four kubectl exec in %s", time.Since(started).Round(time.Millisecond))
	attachLines, stopAttach := admin.background("attach", mirrorName, "-c", "kubia")
	port := apiFreePort(t)
	pfLines, stopForward := admin.background("port-forward", "pod/"+mirrorName, port+":8080")
	waitLine(t, pfLines, regexp.MustCompile(`^Forwarding from 127\.0\.0\.1:`+port), 30*time.Second)
	if body, err := framework.HTTPGet(framework.Context(t, time.Minute), "http://127.0.0.1:"+port+"/"); err != nil || !strings.Contains(body, "You've hit") {
		t.Errorf("GET through kubectl port-forward = %q, %v", body, err)
	}
	// The request through port-forward shows in the followed log; the
	// attached output shows requests made once attach is connected, so
	// they are repeated until one shows.
	waitLine(t, logLines, regexp.MustCompile(`GET /`), 20*time.Second)
	stopLogs()
	framework.WaitUntil(t, 30*time.Second, "a request through port-forward on kubectl attach's output", func() bool {
		_, _ = framework.HTTPGet(framework.Context(t, 5*time.Second), "http://127.0.0.1:"+port+"/attach")
		for {
			select {
			case line, ok := <-attachLines:
				if !ok {
					t.Fatal("kubectl attach ended before showing the request")
				}
				if strings.Contains(line, "GET /attach") {
					return true
				}
			case <-time.After(500 * time.Millisecond):
				return false
			}
		}
	})
	stopAttach()
	stopForward()

	// A user's pod named after the static pod (default/web), bound to this
	// node and refused there (a claim volume): the API server lets its
	// creator read its logs, and they must not be the static pod's.
	squatter := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(squatter, []byte(scheduledPod("web", agent.NodeName, agent.Env.KubiaImage,
		"  nodeName: "+agent.NodeName+"\n  volumes:\n  - name: claim\n    persistentVolumeClaim:\n      claimName: data\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	objects.pod("web")
	admin.must("create", "-f", squatter)
	framework.WaitUntil(t, 30*time.Second, "the pod named after the static pod refused (Failed)", func() bool {
		p := getMirror(t, admin, "web")
		return p != nil && p.Status.Phase == v1.PodFailed
	})
	if out, _, err := admin.run("", "logs", "web", "-c", "kubia"); err == nil || strings.Contains(out, "listening on") {
		t.Errorf("kubectl logs of a pod named after the static pod answered with the static pod's logs (%v):\n%s", err, out)
	}

	// The node endpoint itself.
	endpoint := "https://" + net.JoinHostPort(internalIP(t, node), agent.KubeletPort) + "/containerLogs/default/" + mirrorName + "/kubia"
	pki := filepath.Dir(framework.LoadClusterEnv(t).CA)
	if code, body := nodeGet(t, endpoint, nil); code != http.StatusUnauthorized || !strings.Contains(body, "no client certificate") {
		t.Errorf("without a client certificate: %d %q; want 401 saying so", code, body)
	}
	stranger := signClientCert(t, selfSignedCA(t), "kube-apiserver-kubelet-client", "system:masters")
	if code, body := nodeGet(t, endpoint, &stranger); code != http.StatusUnauthorized || !strings.Contains(body, "refused") {
		t.Errorf("another CA's certificate: %d %q; want 401", code, body)
	}
	viewer := signClientCert(t, loadCA(t, pki), user)
	code, body := nodeGet(t, endpoint, &viewer)
	if code != http.StatusForbidden || !strings.Contains(body, "user="+user) || !strings.Contains(body, "subresource=proxy") {
		t.Errorf("a user without rights on nodes/proxy: %d %q; want 403 naming both", code, body)
	}
	admin.must("create", "clusterrole", user, "--verb=get", "--resource=nodes/proxy")
	admin.must("create", "clusterrolebinding", user, "--clusterrole="+user, "--user="+user)
	framework.WaitUntil(t, 20*time.Second, "the granted user served", func() bool {
		code, body = nodeGet(t, endpoint, &viewer)
		return code == http.StatusOK
	})
	if !strings.Contains(body, "listening on") {
		t.Errorf("logs for the granted user: %q", body)
	}
}

// internalIP is the Node's InternalIP, where kube-apiserver reaches it.
func internalIP(t *testing.T, n *v1.Node) string {
	t.Helper()
	for _, a := range n.Status.Addresses {
		if a.Type == v1.NodeInternalIP {
			return a.Address
		}
	}
	t.Fatalf("node %s has no InternalIP: %+v", n.Name, n.Status.Addresses)
	return ""
}

// nodeGet calls the node endpoint with cert (none when nil), trusting its
// self-signed serving certificate as kube-apiserver does without
// --kubelet-certificate-authority.
func nodeGet(t *testing.T, url string, cert *tls.Certificate) (int, string) {
	t.Helper()
	cfg := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // as kube-apiserver without --kubelet-certificate-authority
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body)
}

// testCA is a CA certificate and its key.
type testCA struct {
	cert *x509.Certificate
	key  any
}

// loadCA reads the test bed's cluster CA (ca.crt, ca.key in pki).
func loadCA(t *testing.T, pki string) testCA {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(pki, "ca.crt"), filepath.Join(pki, "ca.key"))
	if err != nil {
		t.Fatalf("reading the cluster CA: %v", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: pair.PrivateKey}
}

// selfSignedCA is a CA the cluster does not know.
func selfSignedCA(t *testing.T) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not-the-cluster-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{cert: cert, key: key}
}

// signClientCert issues a client certificate for user in groups.
func signClientCert(t *testing.T, ca testCA, user string, groups ...string) tls.Certificate {
	t.Helper()
	certPEM, keyPEM := signClientCertPEM(t, ca, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), user, groups...)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// signClientCertPEM is a client certificate of ca for user in groups,
// valid from notBefore to notAfter, and its key, in PEM.
func signClientCertPEM(t *testing.T, ca testCA, notBefore, notAfter time.Time, user string, groups ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: user, Organization: groups},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
