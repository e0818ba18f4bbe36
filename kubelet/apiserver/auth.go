package apiserver

import (
	"bufio"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReadTokenFile reads a bearer token: the first line of the file that is
// not blank, surrounding spaces removed.
func ReadTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading --token-file: %w", err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if token := strings.TrimSpace(scanner.Text()); token != "" {
			return token, nil
		}
	}
	if err := scanner.Err(); err != nil {
		return "", fmt.Errorf("reading --token-file %s: %w", path, err)
	}
	return "", fmt.Errorf("--token-file %s holds no token: write one (e.g. `openssl rand -hex 32 > %s`)", path, path)
}

// RequireToken lets a request through only with "Authorization: Bearer
// TOKEN". GET /healthz stays open, for liveness probes. A refusal is a 401
// Status, as the apiserver answers, so kubectl says "Unauthorized".
func RequireToken(next http.Handler, token string, log *slog.Logger) (http.Handler, error) {
	if token == "" {
		return nil, errors.New("RequireToken: empty token")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			log.Info("refused a request without a valid token", "client", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="minikubelet"`)
			writeJSON(w, http.StatusUnauthorized, metav1.Status{
				TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
				Status:   metav1.StatusFailure, Code: http.StatusUnauthorized,
				Reason:  metav1.StatusReasonUnauthorized,
				Message: "Unauthorized: send the node's token as \"Authorization: Bearer TOKEN\" (kubectl --token)",
			})
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}
