//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// csrSignTimeout is how long the controller-manager may take to approve
// and sign a node's CSR; it does so within a second or two.
const csrSignTimeout = 30 * time.Second

// TestClusterTestbed checks the control plane `make testbed-up CLUSTER=1`
// starts, as the node agent and a user will meet it: the API server is
// ready and serves writes, a node's client certificate authenticates it as
// that node under the Node authorizer and NodeRestriction, a registered
// node gets a podCIDR, and a bootstrap token gets a node certificate
// approved and signed without anyone acting.
func TestClusterTestbed(t *testing.T) {
	cluster := framework.LoadClusterEnv(t)
	admin := kubectlWith(t, "--kubeconfig", cluster.Kubeconfig)

	t.Run("ready", func(t *testing.T) {
		if got := admin.must("get", "--raw", "/readyz"); strings.TrimSpace(got) != "ok" {
			t.Errorf("/readyz = %q, want ok", got)
		}
	})

	t.Run("namespace", func(t *testing.T) {
		ns := framework.UniqueName("cluster-bed")
		admin.must("create", "namespace", ns)
		if got := admin.must("get", "namespace", ns, "-o", "jsonpath={.status.phase}"); got != "Active" {
			t.Errorf("namespace %s is %q, want Active", ns, got)
		}
		// The namespace controller (controller-manager) finalises deletion.
		admin.must("delete", "namespace", ns, "--wait", "--timeout", "60s")
		if errOut := admin.fails("get", "namespace", ns); !strings.Contains(errOut, "NotFound") {
			t.Errorf("namespace %s after delete: %s, want NotFound", ns, errOut)
		}
	})

	t.Run("node credentials", func(t *testing.T) {
		node := framework.UniqueName("node")
		kubeconfig := cluster.NodeKubeconfigFor(t, node)
		checkWhoami(t, kubeconfig, "system:node:"+node, "system:nodes")
		asNode := kubectlWith(t, "--kubeconfig", kubeconfig)
		// The Node authorizer lets a node write its own Lease, and
		// NodeRestriction refuses it another node's: proof both are on.
		if _, errOut, err := asNode.run(leaseYAML(node), "create", "--dry-run=server", "-f", "-"); err != nil {
			t.Errorf("node %s may not create its own Lease: %v\n%s", node, err, errOut)
		}
		_, errOut, err := asNode.run(leaseYAML(node+"-other"), "create", "--dry-run=server", "-f", "-")
		if err == nil || !strings.Contains(errOut, "forbidden") {
			t.Errorf("node %s creating another node's Lease: err %v, stderr %q; want forbidden", node, err, errOut)
		}
	})

	t.Run("node podCIDR", func(t *testing.T) {
		// A node registering itself gets a podCIDR from the cluster CIDR
		// (controller-manager --allocate-node-cidrs): the agent's CNI
		// config and its routes to the other nodes depend on it.
		node := framework.UniqueName("cidr")
		asNode := kubectlWith(t, "--kubeconfig", cluster.NodeKubeconfigFor(t, node))
		manifest := fmt.Sprintf("apiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n", node)
		if out, errOut, err := asNode.run(manifest, "create", "-f", "-"); err != nil {
			t.Fatalf("node %s registering itself: %v\n%s%s", node, err, out, errOut)
		}
		framework.Cleanup(t, "delete node "+node, func(context.Context) error {
			_, errOut, err := admin.run("", "delete", "node", node, "--ignore-not-found")
			if err != nil {
				return fmt.Errorf("%w: %s", err, errOut)
			}
			return nil
		})
		var podCIDR string
		framework.WaitUntil(t, csrSignTimeout, "a podCIDR on node "+node, func() bool {
			podCIDR = admin.must("get", "node", node, "-o", "jsonpath={.spec.podCIDR}")
			return podCIDR != ""
		})
		prefix, err := netip.ParsePrefix(podCIDR)
		clusterCIDR := netip.MustParsePrefix(cluster.ClusterCIDR)
		if err != nil || !clusterCIDR.Overlaps(prefix) || prefix.Bits() <= clusterCIDR.Bits() {
			t.Errorf("node %s podCIDR %q (%v), want a subnet of %s", node, podCIDR, err, clusterCIDR)
		}
		t.Logf("node %s got podCIDR %s", node, podCIDR)
	})

	t.Run("bootstrap token CSR", func(t *testing.T) {
		tokenID, _, _ := strings.Cut(cluster.BootstrapToken, ".")
		checkWhoami(t, cluster.NodeKubeconfig, "system:bootstrap:"+tokenID, "system:bootstrappers", cluster.BootstrapGroup)
		node := framework.UniqueName("boot")
		certPEM, keyPEM := bootstrapNodeCert(t, cluster, admin, node)
		// The signed certificate is the node's identity from now on.
		kubeconfig := writeCertKubeconfig(t, cluster, "system:node:"+node, certPEM, keyPEM)
		checkWhoami(t, kubeconfig, "system:node:"+node, "system:nodes")
	})
}

// checkWhoami asserts that kubeconfig authenticates as user, in groups.
func checkWhoami(t *testing.T, kubeconfig, user string, groups ...string) {
	t.Helper()
	c := kubectlWith(t, "--kubeconfig", kubeconfig)
	if got := c.must("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); got != user {
		t.Errorf("%s authenticates as %q, want %q", filepath.Base(kubeconfig), got, user)
	}
	got := strings.Fields(c.must("auth", "whoami", "-o", "jsonpath={.status.userInfo.groups[*]}"))
	for _, group := range groups {
		if !slices.Contains(got, group) {
			t.Errorf("%s: groups %q, want %s among them", filepath.Base(kubeconfig), got, group)
		}
	}
}

func leaseYAML(name string) string {
	return fmt.Sprintf(`apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: %s
  namespace: kube-node-lease
spec:
  holderIdentity: %s
  leaseDurationSeconds: 40
`, name, name)
}

// bootstrapNodeCert does what a node's TLS bootstrap does: with the
// bootstrap kubeconfig it posts a CSR for system:node:NAME and waits for
// the controller-manager to approve and sign it. It returns the signed
// certificate and its key, PEM-encoded.
func bootstrapNodeCert(t *testing.T, cluster *framework.ClusterEnv, admin cli, node string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "system:node:" + node, Organization: []string{"system:nodes"}},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	name := node + "-csr"
	bootstrap := kubectlWith(t, "--kubeconfig", cluster.NodeKubeconfig)
	manifest := fmt.Sprintf(`apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: %s
spec:
  request: %s
  signerName: kubernetes.io/kube-apiserver-client-kubelet
  usages: [digital signature, client auth]
`, name, base64.StdEncoding.EncodeToString(csr))
	if out, errOut, err := bootstrap.run(manifest, "create", "-f", "-"); err != nil {
		t.Fatalf("creating CSR %s with the bootstrap kubeconfig: %v\n%s%s", name, err, out, errOut)
	}
	framework.Cleanup(t, "delete CSR "+name, func(_ context.Context) error {
		_, errOut, err := admin.run("", "delete", "csr", name, "--ignore-not-found")
		if err != nil {
			return fmt.Errorf("%w: %s", err, errOut)
		}
		return nil
	})

	var encoded string
	took := framework.WaitUntil(t, csrSignTimeout, "the controller-manager to approve and sign CSR "+name, func() bool {
		encoded = admin.must("get", "csr", name, "-o", "jsonpath={.status.certificate}")
		return encoded != ""
	})
	t.Logf("CSR %s approved and signed after %s", name, took.Round(time.Millisecond))
	if reason := admin.must("get", "csr", name, "-o", `jsonpath={.status.conditions[?(@.type=="Approved")].reason}`); reason != "AutoApproved" {
		t.Errorf("CSR %s approval reason %q, want AutoApproved (the csrapproving controller)", name, reason)
	}
	certPEM, err = base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("CSR %s status.certificate is not base64: %v", name, err)
	}
	checkSignedByCA(t, cluster.CA, certPEM, "system:node:"+node)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// checkSignedByCA asserts that certPEM is a client certificate for cn
// that chains to the cluster CA.
func checkSignedByCA(t *testing.T, caFile string, certPEM []byte, cn string) {
	t.Helper()
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatalf("the signed certificate is not PEM:\n%s", certPEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != cn {
		t.Errorf("signed certificate for %q, want %q", cert.Subject.CommonName, cn)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("signed certificate does not chain to the cluster CA %s as a client certificate: %v", caFile, err)
	}
}

// writeCertKubeconfig writes a kubeconfig for user with the given client
// certificate and key into the test's temporary directory.
func writeCertKubeconfig(t *testing.T, cluster *framework.ClusterEnv, user string, certPEM, keyPEM []byte) string {
	t.Helper()
	caPEM, err := os.ReadFile(cluster.CA)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString
	content := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: bed
  cluster: {server: %q, certificate-authority-data: %s}
users:
- name: %q
  user: {client-certificate-data: %s, client-key-data: %s}
contexts:
- name: bed
  context: {cluster: bed, user: %q}
current-context: bed
`, cluster.APIServerURL, enc(caPEM), user, enc(certPEM), enc(keyPEM), user)
	path := filepath.Join(t.TempDir(), "signed.kubeconfig")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
