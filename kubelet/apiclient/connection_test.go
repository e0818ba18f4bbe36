package apiclient

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes a kubeconfig for server with token and namespace.
func writeKubeconfig(t *testing.T, path, server, token, namespace string) {
	t.Helper()
	config := clientcmdapi.NewConfig()
	config.Clusters["c"] = &clientcmdapi.Cluster{Server: server}
	config.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: token}
	config.Contexts["x"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u", Namespace: namespace}
	config.CurrentContext = "x"
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		t.Fatal(err)
	}
}

func noEnv(string) string { return "" }

func TestResolveReadsTheAgentsKubeconfigByDefault(t *testing.T) {
	def := filepath.Join(t.TempDir(), "admin.kubeconfig")
	writeKubeconfig(t, def, "https://127.0.0.1:10350", "s3cret", "")
	target, err := Connection{DefaultKubeconfig: def, Getenv: noEnv}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if target.Server != "https://127.0.0.1:10350" || target.Config.BearerToken != "s3cret" || target.Namespace != "default" {
		t.Errorf("target = %+v, token %q", target, target.Config.BearerToken)
	}
}

func TestResolvePrefersFlagThenEnvironmentThenDefault(t *testing.T) {
	dir := t.TempDir()
	def, env, flag := filepath.Join(dir, "def"), filepath.Join(dir, "env"), filepath.Join(dir, "flag")
	writeKubeconfig(t, def, "https://def:1", "t-def", "")
	writeKubeconfig(t, env, "https://env:1", "t-env", "from-env")
	writeKubeconfig(t, flag, "https://flag:1", "t-flag", "")
	getenv := func(k string) string {
		if k == "KUBECONFIG" {
			return env
		}
		return ""
	}
	tests := []struct {
		conn       Connection
		wantServer string
		wantToken  string
		wantNS     string
	}{
		{Connection{DefaultKubeconfig: def, Getenv: noEnv}, "https://def:1", "t-def", "default"},
		{Connection{DefaultKubeconfig: def, Getenv: getenv}, "https://env:1", "t-env", "from-env"},
		{Connection{DefaultKubeconfig: def, Getenv: getenv, Kubeconfig: flag}, "https://flag:1", "t-flag", "default"},
		{Connection{DefaultKubeconfig: def, Getenv: getenv, Kubeconfig: flag, Token: "t-over", Namespace: "ns"}, "https://flag:1", "t-over", "ns"},
		{Connection{DefaultKubeconfig: def, Getenv: getenv, Server: "https://over:2"}, "https://over:2", "t-env", "from-env"},
	}
	for _, tt := range tests {
		target, err := tt.conn.Resolve()
		if err != nil {
			t.Errorf("%+v: %v", tt.conn, err)
			continue
		}
		if target.Server != tt.wantServer || target.Config.BearerToken != tt.wantToken || target.Namespace != tt.wantNS {
			t.Errorf("%+v: server %s token %s namespace %s; want %s %s %s", tt.conn, target.Server, target.Config.BearerToken, target.Namespace, tt.wantServer, tt.wantToken, tt.wantNS)
		}
	}
}

// The agent's token must not go to a server the user typed: --server
// alone does not read the agent's kubeconfig.
func TestResolveWithServerFlagAloneDoesNotSendTheAgentsToken(t *testing.T) {
	def := filepath.Join(t.TempDir(), "admin.kubeconfig")
	writeKubeconfig(t, def, "https://127.0.0.1:10350", "s3cret", "")
	target, err := Connection{DefaultKubeconfig: def, Getenv: noEnv, Server: "https://elsewhere:10350"}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if target.Config.BearerToken != "" || target.Server != "https://elsewhere:10350" {
		t.Errorf("server %s, token %q; want the flag's server and no token", target.Server, target.Config.BearerToken)
	}
}

func TestResolveExplainsAMissingOrForbiddenKubeconfig(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "admin.kubeconfig")
	_, err := Connection{DefaultKubeconfig: missing, Getenv: noEnv}.Resolve()
	if err == nil || !strings.Contains(err.Error(), missing+" does not exist") || !strings.Contains(err.Error(), "minikubelet run") {
		t.Errorf("missing default kubeconfig: %v", err)
	}
	err = noKubeconfigError(missing, &fs.PathError{Op: "open", Path: missing, Err: fs.ErrPermission})
	if !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), "run as root") {
		t.Errorf("unreadable default kubeconfig: %v", err)
	}
	_, err = Connection{Kubeconfig: missing, Getenv: noEnv}.Resolve()
	if err == nil || !strings.Contains(err.Error(), "--kubeconfig "+missing) {
		t.Errorf("missing --kubeconfig: %v", err)
	}
}

func TestResolveNamesABadCertificateAuthorityFile(t *testing.T) {
	_, err := Connection{Server: "https://127.0.0.1:1", CAFile: "/nonexistent/ca.pem", Getenv: noEnv}.Resolve()
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/ca.pem") {
		t.Errorf("bad CA file: %v", err)
	}
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	target, err := Connection{Server: "https://127.0.0.1:1", CAFile: notPEM, Getenv: noEnv}.Resolve()
	if err == nil {
		_, err = tlsConfigFor(target)
	}
	if err == nil {
		t.Errorf("a CA file holding no certificate was accepted")
	}
}

func TestResolveDialsAUnixSocketServer(t *testing.T) {
	target, err := Connection{Server: "unix:///run/minikubelet/api.sock", Getenv: noEnv}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if target.Server != "unix:///run/minikubelet/api.sock" || target.Config.Host != "http://localhost" || target.Config.Dial == nil {
		t.Errorf("unix target: server %s host %s dial %v", target.Server, target.Config.Host, target.Config.Dial != nil)
	}
	if _, err := (Connection{Server: "unix://", Getenv: noEnv}).Resolve(); err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "names no socket path") {
		t.Errorf("unix:// without a path: %v", err)
	}
}
