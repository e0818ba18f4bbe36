package apiserver

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func TestEnsureCredentialsGeneratesPrivateFilesOnceAndKeepsThem(t *testing.T) {
	root := t.TempDir()
	cfg := CredentialsConfig{RootDir: root, Host: "node-a", IPs: ListenConfig{Address: "127.0.0.1:0"}.CertificateIPs()}
	first, err := EnsureCredentials(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Token) != 64 {
		t.Errorf("token %q: want 64 hex digits", first.Token)
	}
	for _, file := range []string{filepath.Join(root, TokenFileName), first.KeyFile} {
		if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", file, info.Mode(), err)
		}
	}
	second, err := EnsureCredentials(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if second.Token != first.Token || string(second.CAData) != string(first.CAData) {
		t.Error("a second start replaced the token or the certificate")
	}
	// A certificate that does not name the new listen address is replaced.
	cfg.IPs = append(cfg.IPs, net.ParseIP("192.0.2.7"))
	third, err := EnsureCredentials(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if string(third.CAData) == string(first.CAData) || third.Token != first.Token {
		t.Error("a certificate for other addresses was kept, or the token changed")
	}
}

func TestEnsureCredentialsReplacesACertificateWhoseKeyOthersCouldRead(t *testing.T) {
	root := t.TempDir()
	cfg := CredentialsConfig{RootDir: root, Host: "node-a", IPs: ListenConfig{Address: "127.0.0.1:0"}.CertificateIPs()}
	first, err := EnsureCredentials(cfg)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(first.KeyFile, 0o644)
	second, err := EnsureCredentials(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if string(second.CAData) == string(first.CAData) {
		t.Error("kept a serving key that was readable by others")
	}
}

func TestSecretFilesOthersCanReadAreRefusedNamingTheFix(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("s3cret\n"), 0o644)
	_, err := EnsureCredentials(CredentialsConfig{RootDir: dir, TokenFile: token, Host: "n"})
	if err == nil || !strings.Contains(err.Error(), "--token-file "+token) || !strings.Contains(err.Error(), "mode 0644") || !strings.Contains(err.Error(), "chmod 0600 "+token) {
		t.Errorf("token file 0644: %v", err)
	}
	// The generated token is held to the same rule.
	os.Chmod(token, 0o640)
	if _, err := EnsureCredentials(CredentialsConfig{RootDir: dir, Host: "n"}); err == nil || !strings.Contains(err.Error(), "chmod 0600") {
		t.Errorf("generated token made 0640: %v", err)
	}
	os.Chmod(token, 0o600)
	creds, err := EnsureCredentials(CredentialsConfig{RootDir: dir, TokenFile: token, Host: "n"})
	if err != nil || creds.Token != "s3cret" {
		t.Errorf("token file 0600: %q, %v", creds.Token, err)
	}
}

// TestAdminKubeconfigReachesTheTLSListener is the path kubectl takes: the
// written kubeconfig is loaded by client-go, which verifies the generated
// certificate and sends the token.
func TestAdminKubeconfigReachesTheTLSListener(t *testing.T) {
	root := t.TempDir()
	listen := ListenConfig{Address: "127.0.0.1:0"}
	creds, err := EnsureCredentials(CredentialsConfig{RootDir: root, Host: "node-a", IPs: listen.CertificateIPs()})
	if err != nil {
		t.Fatal(err)
	}
	l, url, err := Listen(listen, creds)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Errorf("client URL %s", url)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	h, _ := RequireToken(ok, creds.Token, nil)
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	kubeconfig := filepath.Join(root, AdminKubeconfigName)
	if err := WriteAdminKubeconfig(kubeconfig, url, "node-a", creds); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(kubeconfig); info.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode %v, want 0600", info.Mode())
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(url + "/api/v1/pods")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("with the kubeconfig: %s %s", resp.Status, body)
	}

	// Without the token the same verified connection gets 401.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(creds.CAData)
	anonymous := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err = anonymous.Get(url + "/api/v1/pods")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token: %s", resp.Status)
	}
}

func TestClientURLReachesAWildcardListenerThroughLoopback(t *testing.T) {
	tests := map[string]string{
		"0.0.0.0:10350":   "https://127.0.0.1:10350",
		"[::]:10350":      "https://[::1]:10350",
		"10.1.2.3:10350":  "https://10.1.2.3:10350",
		"127.0.0.1:10350": "https://127.0.0.1:10350",
	}
	for addr, want := range tests {
		tcp, _ := net.ResolveTCPAddr("tcp", addr)
		if got := ClientURL(tcp); got != want {
			t.Errorf("ClientURL(%s) = %s, want %s", addr, got, want)
		}
	}
}
