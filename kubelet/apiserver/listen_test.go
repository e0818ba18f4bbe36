package apiserver

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestListenCheckRefusesUnprotectedExposure(t *testing.T) {
	tests := []struct {
		cfg     ListenConfig
		wantErr string
	}{
		{ListenConfig{Address: "127.0.0.1:10350"}, ""},
		{ListenConfig{Address: "[::1]:10350"}, ""},
		{ListenConfig{Address: "localhost:10350"}, ""},
		{ListenConfig{Address: "unix:///run/x.sock"}, ""},
		{ListenConfig{Address: "0.0.0.0:10350"}, "add --tls-cert-file and --tls-private-key-file (a certificate for this machine's names), or listen on 127.0.0.1"},
		{ListenConfig{Address: ":10350"}, "add --tls-cert-file and --tls-private-key-file"},
		{ListenConfig{Address: "10.0.0.1:10350", TLSCertFile: "c", TLSKeyFile: "k"}, ""},
		{ListenConfig{Address: "0.0.0.0:10350", TLSCertFile: "c", TLSKeyFile: "k"}, ""},
		{ListenConfig{Address: "127.0.0.1:1", TLSCertFile: "c"}, "go together"},
		{ListenConfig{Address: "10350"}, "use host:port"},
		{ListenConfig{Address: "unix://"}, "give the socket's path"},
	}
	for _, tt := range tests {
		err := tt.cfg.Check()
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Check(%+v) = %v, want %q", tt.cfg, err, tt.wantErr)
		}
	}
}

func TestListenUnixSocketIsPrivateAndReplacesStaleOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api.sock")
	l, url, err := Listen(ListenConfig{Address: "unix://" + path}, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if url != "unix://"+path || info.Mode().Perm() != 0o600 {
		t.Errorf("url %s, mode %v", url, info.Mode())
	}
	if _, _, err := Listen(ListenConfig{Address: "unix://" + path}, Credentials{}); err == nil || !strings.Contains(err.Error(), "another process serves") {
		t.Errorf("second listener on a live socket: %v", err)
	}
	l.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket left after close: %v", err)
	}
}

func TestRequireTokenAnswers401(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte("\n  s3cret  \n"), 0o600)
	token, err := ReadTokenFile(filepath.Join(dir, "token"))
	if err != nil || token != "s3cret" {
		t.Fatalf("token = %q, %v", token, err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	h, err := RequireToken(ok, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, h)
	if code, body := do(t, "GET", srv+"/api/v1/pods", "", ""); code != 401 || !strings.Contains(body, `"reason":"Unauthorized"`) {
		t.Errorf("no token = %d %s", code, body)
	}
	if code, _ := do(t, "GET", srv+"/api/v1/pods", "", "", "Authorization", "Bearer wrong"); code != 401 {
		t.Errorf("wrong token = %d", code)
	}
	if code, _ := do(t, "GET", srv+"/api/v1/pods", "", "", "Authorization", "Bearer s3cret"); code != 200 {
		t.Errorf("right token = %d", code)
	}
	if code, _ := do(t, "GET", srv+"/healthz", "", ""); code != 200 {
		t.Errorf("healthz = %d", code)
	}
	os.WriteFile(filepath.Join(dir, "empty"), []byte("\n"), 0o600)
	if _, err := ReadTokenFile(filepath.Join(dir, "empty")); err == nil || !strings.Contains(err.Error(), "holds no token") {
		t.Errorf("empty token file: %v", err)
	}
}
