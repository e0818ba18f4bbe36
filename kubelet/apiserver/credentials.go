package apiserver

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	certutil "k8s.io/client-go/util/cert"

	"github.com/minikubelet/minikubelet/kubelet/atomicfile"
)

// The files the agent keeps under its root directory when the operator
// names none: the API's bearer token and its self-signed serving
// certificate, as the kubelet keeps pki/kubelet.crt.
const (
	TokenFileName = "token"
	certFileName  = "pki/minikubelet.crt"
	keyFileName   = "pki/minikubelet.key"
)

// certRenewBefore is how long before its expiry a generated serving
// certificate is replaced at start.
const certRenewBefore = 90 * 24 * time.Hour

// CredentialsConfig says where the API's credentials come from.
type CredentialsConfig struct {
	// RootDir holds the generated token and certificate.
	RootDir string
	// TokenFile, TLSCertFile and TLSKeyFile are the operator's own, used
	// instead of generated ones when set.
	TokenFile, TLSCertFile, TLSKeyFile string
	// Host and IPs are the names a generated certificate is valid for.
	Host string
	IPs  []net.IP
}

// Credentials are what the API serves with and what a client needs.
type Credentials struct {
	Token string
	// CertFile and KeyFile are the serving certificate (chain) and key.
	CertFile, KeyFile string
	// CAData is what a client trusts the server by: the certificate file's
	// PEM, whose chain ends at the certificate's own issuer.
	CAData []byte
}

// EnsureCredentials returns the API's token and serving certificate,
// generating either one the operator did not supply, and refuses secret
// files other users can read.
func EnsureCredentials(c CredentialsConfig) (Credentials, error) {
	var creds Credentials
	var err error
	if c.TokenFile != "" {
		creds.Token, err = readSecretToken(c.TokenFile, "--token-file "+c.TokenFile)
	} else {
		creds.Token, err = ensureToken(filepath.Join(c.RootDir, TokenFileName))
	}
	if err != nil {
		return Credentials{}, err
	}
	creds.CertFile, creds.KeyFile = c.TLSCertFile, c.TLSKeyFile
	if creds.CertFile == "" {
		creds.CertFile, creds.KeyFile = filepath.Join(c.RootDir, certFileName), filepath.Join(c.RootDir, keyFileName)
		if err := ensureServingCert(creds.CertFile, creds.KeyFile, c.Host, c.IPs); err != nil {
			return Credentials{}, err
		}
	} else if err := CheckSecretFile(creds.KeyFile, "--tls-private-key-file"); err != nil {
		return Credentials{}, err
	}
	if creds.CAData, err = os.ReadFile(creds.CertFile); err != nil {
		return Credentials{}, fmt.Errorf("reading the API's serving certificate: %w", err)
	}
	return creds, nil
}

// ensureToken reads the generated token, creating it at first start.
func ensureToken(path string) (string, error) {
	token, err := readSecretToken(path, path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return token, err
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generating the API token: %w", err)
	}
	token = hex.EncodeToString(buf)
	if err := atomicfile.Write(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing the API token: %w", err)
	}
	return token, nil
}

// readSecretToken checks who may read the file, then reads the token.
func readSecretToken(path, what string) (string, error) {
	if err := CheckSecretFile(path, what); err != nil {
		return "", err
	}
	return ReadTokenFile(path)
}

// CheckSecretFile refuses a secret another user could read or replace: it
// must be a regular file of this process's user with no group or other
// permission bits.
func CheckSecretFile(path, what string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: %s is not a regular file", what, path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s: %s has mode %04o, so other users can read the secret: run `chmod 0600 %s`", what, path, perm, path)
	}
	if uid, ok := fileOwner(info); ok && uid != os.Geteuid() && uid != 0 {
		return fmt.Errorf("%s: %s belongs to uid %d, who could replace the secret: run `chown %d %s`", what, path, uid, os.Geteuid(), path)
	}
	return nil
}

// EnsureServingCert is ensureServingCert for the agent's other HTTPS
// endpoint, the node endpoint the cluster's API server reaches.
func EnsureServingCert(certFile, keyFile, host string, ips []net.IP) error {
	return ensureServingCert(certFile, keyFile, host, ips)
}

// ensureServingCert keeps a generated certificate that is readable, valid
// for the names asked for and not close to expiry; otherwise it writes a
// new self-signed one (client-go's, a CA and a leaf: the CA's key is never
// stored, so nothing else can be signed with it).
func ensureServingCert(certFile, keyFile, host string, ips []net.IP) error {
	if usableCert(certFile, keyFile, host, ips) {
		return nil
	}
	certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey(host, ips, []string{"localhost"})
	if err != nil {
		return fmt.Errorf("generating the API's serving certificate: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(certFile), err)
	}
	if err := atomicfile.Write(keyFile, keyPEM, 0o600); err != nil {
		return fmt.Errorf("writing the API's serving key: %w", err)
	}
	if err := atomicfile.Write(certFile, certPEM, 0o644); err != nil {
		return fmt.Errorf("writing the API's serving certificate: %w", err)
	}
	return nil
}

// usableCert reports whether the pair loads, covers host and every IP,
// and stays valid for certRenewBefore.
func usableCert(certFile, keyFile, host string, ips []net.IP) bool {
	if CheckSecretFile(keyFile, keyFile) != nil {
		return false
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil || len(pair.Certificate) == 0 {
		return false
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || time.Until(leaf.NotAfter) < certRenewBefore {
		return false
	}
	if leaf.VerifyHostname(host) != nil {
		return false
	}
	for _, ip := range ips {
		if leaf.VerifyHostname(ip.String()) != nil {
			return false
		}
	}
	return true
}
