package nodeauth

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

// Bootstrapping, as the kubelet's --bootstrap-kubeconfig: a kubeconfig
// whose user is a bootstrap token may only ask for a node client
// certificate; the controller-manager approves and signs it, and the
// agent then uses that certificate. Rotation before expiry is not done
// yet: a certificate found expired at start is requested anew.

// Files the bootstrap writes under its directory, all 0600.
const (
	KubeconfigName = "node.kubeconfig"
	certName       = "node-client.crt"
	keyName        = "node-client.key"
	// pendingKeyName holds the key of a CSR not yet signed, so a restart
	// while waiting asks again with the same key and reuses the CSR.
	pendingKeyName = "node-client.key.pending"
)

// SignerKubeletClient is the signer of node client certificates.
const SignerKubeletClient = certificatesv1.KubeAPIServerClientKubeletSignerName

// NodeGroup is the group of every node's user.
const NodeGroup = "system:nodes"

// bootstrapToken is the form of a bootstrap token, "id.secret".
var bootstrapToken = regexp.MustCompile(`^[a-z0-9]{6}\.[a-z0-9]{16}$`)

// BootstrapConfig is what NodeKubeconfig needs.
type BootstrapConfig struct {
	// Kubeconfig is --kubeconfig: node credentials, or a bootstrap token.
	Kubeconfig string
	NodeName   string
	// Dir receives the key, certificate and kubeconfig (made 0700).
	Dir       string
	UserAgent string
	Logger    *slog.Logger
	// Now defaults to time.Now; certificates valid for less than
	// minValidity from now are requested anew.
	Now func() time.Time
}

// minValidity: a certificate expiring sooner is replaced at start.
const minValidity = time.Hour

// IsBootstrap reports whether the kubeconfig's current user is a
// bootstrap token.
func IsBootstrap(path string) (bool, error) {
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return false, fmt.Errorf("loading the cluster's kubeconfig %s: %w", path, err)
	}
	user := currentUser(raw)
	return user != nil && len(user.ClientCertificateData) == 0 && user.ClientCertificate == "" &&
		bootstrapToken.MatchString(user.Token), nil
}

// NodeKubeconfig returns the path of a kubeconfig holding this node's
// own credentials: cfg.Kubeconfig unless it is a bootstrap kubeconfig;
// then Dir/node.kubeconfig, after asking the cluster for a certificate
// by CSR when no valid one is there. It waits for the CSR's approval
// until ctx ends.
func NodeKubeconfig(ctx context.Context, cfg BootstrapConfig) (string, error) {
	bootstrap, err := IsBootstrap(cfg.Kubeconfig)
	if err != nil || !bootstrap {
		return cfg.Kubeconfig, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	out := filepath.Join(cfg.Dir, KubeconfigName)
	if err := validCertificate(filepath.Join(cfg.Dir, certName), cfg.NodeName, cfg.Now()); err == nil {
		return out, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		cfg.Logger.Info("requesting a new node certificate", "reason", err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", cfg.Dir, err)
	}
	if err := requestCertificate(ctx, cfg); err != nil {
		return "", err
	}
	if err := writeNodeKubeconfig(cfg, out); err != nil {
		return "", err
	}
	return out, nil
}

// requestCertificate asks for a node client certificate with the
// bootstrap credentials, waits for it and writes it and its key.
func requestCertificate(ctx context.Context, cfg BootstrapConfig) error {
	restCfg, err := clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
	if err != nil {
		return fmt.Errorf("loading the bootstrap kubeconfig %s: %w", cfg.Kubeconfig, err)
	}
	restCfg.UserAgent, restCfg.Timeout = cfg.UserAgent, requestTimeout
	client, err := kubeapi.New(restCfg)
	if err != nil {
		return fmt.Errorf("making a client of the bootstrap kubeconfig %s: %w", cfg.Kubeconfig, err)
	}
	keyPath := filepath.Join(cfg.Dir, pendingKeyName)
	keyPEM, _, err := keyutil.LoadOrGenerateKeyFile(keyPath)
	if err != nil {
		return fmt.Errorf("making the node's private key %s: %w", keyPath, err)
	}
	certPEM, err := signedCertificate(ctx, client.CSRs(), cfg, keyPEM)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(cfg.Dir, certName), certPEM); err != nil {
		return err
	}
	if err := os.Rename(keyPath, filepath.Join(cfg.Dir, keyName)); err != nil {
		return fmt.Errorf("keeping the node's private key: %w", err)
	}
	return nil
}

// signedCertificate sends the CSR (reusing one of the same key left by
// an earlier start) and waits until it is approved and signed.
func signedCertificate(ctx context.Context, csrs kubeapi.CSRs, cfg BootstrapConfig, keyPEM []byte) ([]byte, error) {
	key, err := keyutil.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("reading the node's private key: %w", err)
	}
	subject := &pkix.Name{CommonName: NodeUserPrefix + cfg.NodeName, Organization: []string{NodeGroup}}
	csrPEM, err := certutil.MakeCSR(key, subject, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("making the certificate signing request: %w", err)
	}
	usages := []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
	name, err := csrName(key, cfg.NodeName)
	if err != nil {
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, requestTimeout)
	signer, ok := key.(crypto.Signer)
	if !ok {
		cancel()
		return nil, errors.New("the node's private key cannot sign")
	}
	reqName, reqUID, err := requestCSR(callCtx, csrs, csrPEM, name, usages, signer)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("sending the node's certificate signing request: %w", err)
	}
	cfg.Logger.Info("waiting for the cluster to approve the node's certificate signing request", "csr", reqName,
		"hint", "kubectl certificate approve "+reqName+", unless the controller-manager approves it")
	certPEM, err := waitForCertificate(ctx, csrs, reqName, reqUID)
	if err != nil {
		return nil, fmt.Errorf("waiting for certificate signing request %s: %w", reqName, err)
	}
	cfg.Logger.Info("the cluster issued the node's client certificate", "csr", reqName)
	return certPEM, nil
}

// csrName is the same for the same key and node, so a restart while
// waiting finds its CSR instead of making another, as the kubelet's.
func csrName(key crypto.PrivateKey, node string) (string, error) {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return "", errors.New("the node's private key cannot sign")
	}
	der, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		return "", fmt.Errorf("encoding the node's public key: %w", err)
	}
	sum := sha256.Sum256(append(der, node...))
	return "node-csr-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:12])), nil
}

// validCertificate checks Dir's certificate is this node's and valid for
// at least minValidity.
func validCertificate(path, node string, now time.Time) error {
	certs, err := certutil.CertsFromFile(path)
	if err != nil {
		if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
			return statErr
		}
		return fmt.Errorf("reading %s: %w", path, err)
	}
	cert := certs[0]
	switch {
	case cert.Subject.CommonName != NodeUserPrefix+node:
		return fmt.Errorf("%s is for %s, not this node", path, cert.Subject.CommonName)
	case now.Add(minValidity).After(cert.NotAfter):
		return fmt.Errorf("%s expires at %s", path, cert.NotAfter.Format(time.RFC3339))
	}
	return nil
}

// writeNodeKubeconfig writes a kubeconfig of the bootstrap kubeconfig's
// cluster with the node's certificate and key.
func writeNodeKubeconfig(cfg BootstrapConfig, out string) error {
	raw, err := clientcmd.LoadFromFile(cfg.Kubeconfig)
	if err != nil {
		return fmt.Errorf("loading the bootstrap kubeconfig %s: %w", cfg.Kubeconfig, err)
	}
	cluster := currentCluster(raw)
	if cluster == nil {
		return fmt.Errorf("the bootstrap kubeconfig %s names no cluster in its current context", cfg.Kubeconfig)
	}
	if cluster.CertificateAuthority != "" && !filepath.IsAbs(cluster.CertificateAuthority) {
		cluster.CertificateAuthority = filepath.Join(filepath.Dir(cfg.Kubeconfig), cluster.CertificateAuthority)
	}
	node := clientcmdapi.Config{
		Clusters: map[string]*clientcmdapi.Cluster{"cluster": cluster},
		AuthInfos: map[string]*clientcmdapi.AuthInfo{"node": {
			ClientCertificate: filepath.Join(cfg.Dir, certName), ClientKey: filepath.Join(cfg.Dir, keyName),
		}},
		Contexts:       map[string]*clientcmdapi.Context{"node": {Cluster: "cluster", AuthInfo: "node"}},
		CurrentContext: "node",
	}
	data, err := clientcmd.Write(node)
	if err != nil {
		return fmt.Errorf("encoding the node's kubeconfig: %w", err)
	}
	return writeFile(out, data)
}

func currentUser(cfg *clientcmdapi.Config) *clientcmdapi.AuthInfo {
	if ctx := cfg.Contexts[cfg.CurrentContext]; ctx != nil {
		return cfg.AuthInfos[ctx.AuthInfo]
	}
	return nil
}

func currentCluster(cfg *clientcmdapi.Config) *clientcmdapi.Cluster {
	if ctx := cfg.Contexts[cfg.CurrentContext]; ctx != nil {
		return cfg.Clusters[ctx.Cluster]
	}
	return nil
}

// writeFile writes data at path with mode 0600, through a temporary file
// so a crash never leaves half a certificate.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
