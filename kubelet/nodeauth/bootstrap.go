package nodeauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"

	"github.com/minikubelet/minikubelet/kubelet/atomicfile"
	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

// Bootstrapping, as the kubelet's --bootstrap-kubeconfig: a kubeconfig
// whose user is a bootstrap token may only ask for a node client
// certificate; the controller-manager approves and signs it, and the
// agent then uses that certificate, and replaces it before it expires
// (rotation.go). A certificate found expiring or expired at start, or
// unusable, is requested anew with the bootstrap token.

// Files the bootstrap writes under its directory, all 0600.
const (
	KubeconfigName = "node.kubeconfig"
	// credentialsName holds the certificate and then its key, in one file
	// the kubeconfig names for both: a rotation replaces the pair in one
	// rename, so client-go, which reloads the files, never reads a
	// certificate with another's key.
	credentialsName = "node-client.pem"
	// certName and keyName are the layout before rotation, migrated at start.
	certName = "node-client.crt"
	keyName  = "node-client.key"
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
	// bootstrapCSRs, for tests, replaces the client of Kubeconfig.
	bootstrapCSRs kubeapi.CSRs
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
	if err := migrateSeparateFiles(cfg.Dir); err != nil {
		cfg.Logger.Warn("could not combine the node's certificate and key into one file; requesting a new certificate", "err", err)
	}
	if err := validCredentials(cfg.Dir, cfg.NodeName, cfg.Now()); err == nil {
		// Written again: a kubeconfig of the earlier layout names two files.
		return out, writeNodeKubeconfig(cfg, out)
	} else if !errors.Is(err, os.ErrNotExist) {
		// An expired certificate too: the node's own credentials could
		// not renew it, the bootstrap token can, as the kubelet's.
		cfg.Logger.Info("requesting a new node certificate with the bootstrap kubeconfig", "reason", err)
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
	csrs := cfg.bootstrapCSRs
	if csrs == nil {
		var err error
		if csrs, err = BootstrapCSRs(cfg.Kubeconfig, cfg.UserAgent); err != nil {
			return err
		}
	}
	return obtainCredentials(ctx, csrs, cfg)
}

// BootstrapCSRs is a CSR client of the bootstrap kubeconfig at path; an
// error when it is gone or no longer holds a bootstrap token.
func BootstrapCSRs(path, userAgent string) (kubeapi.CSRs, error) {
	bootstrap, err := IsBootstrap(path)
	if err != nil {
		return nil, err
	}
	if !bootstrap {
		return nil, fmt.Errorf("the kubeconfig %s holds no bootstrap token any more", path)
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("loading the bootstrap kubeconfig %s: %w", path, err)
	}
	restCfg.UserAgent, restCfg.Timeout = userAgent, requestTimeout
	client, err := kubeapi.New(restCfg)
	if err != nil {
		return nil, fmt.Errorf("making a client of the bootstrap kubeconfig %s: %w", path, err)
	}
	return client.CSRs(), nil
}

// obtainCredentials asks for a certificate of the pending key (made if
// there is none), waits for it, and replaces the credentials file with
// both in one step; the pending key is then removed.
func obtainCredentials(ctx context.Context, csrs kubeapi.CSRs, cfg BootstrapConfig) error {
	keyPath := filepath.Join(cfg.Dir, pendingKeyName)
	keyPEM, err := loadOrMakeKey(keyPath, cfg.Logger)
	if err != nil {
		return err
	}
	certPEM, err := signedCertificate(ctx, csrs, cfg, keyPEM)
	if errors.Is(err, errRequestRefused) {
		// The same key would find the same refused CSR again: the next
		// attempt asks anew with a new key.
		_ = os.Remove(keyPath)
	}
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(cfg.Dir, credentialsName), append(certPEM, keyPEM...), 0o600); err != nil {
		return fmt.Errorf("keeping the node's certificate and key: %w", err)
	}
	_ = os.Remove(keyPath)
	return nil
}

// migrateSeparateFiles combines the certificate and key files of the
// earlier layout into the credentials file, once.
func migrateSeparateFiles(dir string) error {
	credentials := filepath.Join(dir, credentialsName)
	if _, err := os.Stat(credentials); err == nil {
		return nil
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, certName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, keyName))
	if err != nil {
		return err
	}
	if err := atomicfile.Write(credentials, append(certPEM, keyPEM...), 0o600); err != nil {
		return err
	}
	return errors.Join(os.Remove(filepath.Join(dir, certName)), os.Remove(filepath.Join(dir, keyName)))
}

// loadOrMakeKey reads the pending key, or makes one when there is none or
// it is unreadable (a crash while it was written).
func loadOrMakeKey(path string, log *slog.Logger) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		if _, parseErr := keyutil.ParsePrivateKeyPEM(data); parseErr == nil {
			return data, nil
		}
		log.Warn("the pending node key is unreadable; making a new one", "path", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the node's pending key %s: %w", path, err)
	}
	data, err = keyutil.MakeEllipticPrivateKeyPEM()
	if err != nil {
		return nil, fmt.Errorf("making the node's private key: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return nil, err
	}
	return data, nil
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
	certPEM, err := waitForCertificate(ctx, csrs, reqName, reqUID, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("waiting for certificate signing request %s: %w", reqName, err)
	}
	if err := certificateFor(certPEM, cfg.NodeName, signer); err != nil {
		return nil, fmt.Errorf("certificate signing request %s: the cluster issued a certificate that is not this node's: %w: %w", reqName, err, errRequestRefused)
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

// validCredentials checks that Dir holds a complete set: this node's
// certificate, valid for at least minValidity, the key it was issued for,
// and the kubeconfig naming them. Anything less is bootstrapped again.
func validCredentials(dir, node string, now time.Time) error {
	certPath := filepath.Join(dir, credentialsName)
	if _, err := os.Stat(certPath); err != nil {
		return err
	}
	pair, err := tls.LoadX509KeyPair(certPath, certPath)
	if err != nil {
		return fmt.Errorf("%s: %w", certPath, err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fmt.Errorf("reading %s: %w", certPath, err)
	}
	switch {
	case cert.Subject.CommonName != NodeUserPrefix+node:
		return fmt.Errorf("%s is for %s, not this node", certPath, cert.Subject.CommonName)
	case now.Add(minValidity).After(cert.NotAfter):
		return fmt.Errorf("%s expires at %s", certPath, cert.NotAfter.Format(time.RFC3339))
	}
	if _, err := os.Stat(filepath.Join(dir, KubeconfigName)); err != nil {
		return fmt.Errorf("the node's kubeconfig: %w", err)
	}
	return nil
}

// certificateFor checks an issued certificate names this node in the
// nodes' group and holds key's public key.
func certificateFor(certPEM []byte, node string, key crypto.Signer) error {
	certs, err := certutil.ParseCertsPEM(certPEM)
	if err != nil {
		return err
	}
	cert := certs[0]
	if cert.Subject.CommonName != NodeUserPrefix+node || !slices.Contains(cert.Subject.Organization, NodeGroup) {
		return fmt.Errorf("it is for %s in %v", cert.Subject.CommonName, cert.Subject.Organization)
	}
	ours, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	theirs, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil || !bytes.Equal(ours, theirs) {
		return errors.New("it holds another key")
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
			ClientCertificate: filepath.Join(cfg.Dir, credentialsName), ClientKey: filepath.Join(cfg.Dir, credentialsName),
		}},
		Contexts:       map[string]*clientcmdapi.Context{"node": {Cluster: "cluster", AuthInfo: "node"}},
		CurrentContext: "node",
	}
	data, err := clientcmd.Write(node)
	if err != nil {
		return fmt.Errorf("encoding the node's kubeconfig: %w", err)
	}
	return atomicfile.Write(out, data, 0o600)
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
