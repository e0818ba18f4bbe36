package nodeserver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestListenHandsClientCertificatesThroughAndCapsConnections: the handler
// sees the client's certificate (net/http finds it only on a *tls.Conn,
// so the connection cap must sit under TLS), and with the cap reached a
// further client waits until a connection closes.
func TestListenHandsClientCertificatesThroughAndCapsConnections(t *testing.T) {
	ca := newTestCA(t, "cluster-ca")
	later := time.Now().Add(time.Hour)
	serving := ca.issue(t, "node-1", nil, x509.ExtKeyUsageServerAuth, later)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "kubelet.crt"), filepath.Join(dir, "kubelet.key")
	writePEM(t, certFile, "CERTIFICATE", serving.Certificate[0])
	keyDER, err := x509.MarshalPKCS8PrivateKey(serving.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)

	l, err := Listen("127.0.0.1:0", certFile, keyFile, 1)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			io.WriteString(w, "no certificate")
			return
		}
		io.WriteString(w, "cn="+r.TLS.PeerCertificates[0].Subject.CommonName)
	})}
	go srv.Serve(l)
	defer srv.Close()

	client := ca.issue(t, "apiserver", nil, x509.ExtKeyUsageClientAuth, later)
	get := func(timeout time.Duration) (string, error) {
		transport := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{client}, InsecureSkipVerify: true /* the server side is under test */}, DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: transport, Timeout: timeout}).Get("https://" + l.Addr().String() + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	}
	if body, err := get(5 * time.Second); body != "cn=apiserver" || err != nil {
		t.Fatalf("the handler saw %q (%v); want the client certificate's CN", body, err)
	}

	held, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // accepted: the one connection allowed
	if body, err := get(500 * time.Millisecond); err == nil {
		t.Fatalf("a second connection was served (%q) while the only one allowed was open", body)
	}
	held.Close()
	if body, err := get(5 * time.Second); body != "cn=apiserver" || err != nil {
		t.Fatalf("after the held connection closed: %q (%v)", body, err)
	}
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
