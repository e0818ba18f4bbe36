package apiserver

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podLog serves GET /api/v1/namespaces/{ns}/pods/{name}/log, the route
// `kubectl logs` uses, by handing it to the kubelet-style log handler:
// the query parameters (container, follow, previous, sinceSeconds,
// sinceTime, timestamps, tailLines, limitBytes) have the same names there.
// Its plain-text errors are turned into Status objects.
func (s *Server) podLog(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	if s.cfg.Logs == nil {
		writeError(w, s.log, methodNotSupported("get", "pods/log"))
		return
	}
	if _, err := s.lookup(ns, name); err != nil {
		writeError(w, s.log, err)
		return
	}
	query := r.URL.Query()
	target := "/containerLogs/" + url.PathEscape(ns) + "/" + url.PathEscape(name)
	if c := query.Get("container"); c != "" {
		target += "/" + url.PathEscape(c)
	}
	query.Del("container")
	query.Del("insecureSkipTLSVerifyBackend") // no backend hop here
	inner := r.Clone(r.Context())
	inner.URL = &url.URL{Path: target, RawQuery: query.Encode()}
	inner.RequestURI = inner.URL.RequestURI()
	sw := &statusWriter{ResponseWriter: w}
	s.cfg.Logs.ServeHTTP(sw, inner)
	sw.finish()
}

// statusWriter passes a successful response through untouched (streaming
// and flushing included) and turns an error response into a Status.
type statusWriter struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func (sw *statusWriter) WriteHeader(code int) {
	if code >= 400 {
		sw.code = code
		return
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(p []byte) (int, error) {
	if sw.code >= 400 {
		return sw.body.Write(p)
	}
	return sw.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the real writer's Flush.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

func (sw *statusWriter) finish() {
	if sw.code < 400 {
		return
	}
	message := strings.TrimSpace(sw.body.String())
	err := apierrors.FromObject(&metav1.Status{
		Status: metav1.StatusFailure, Code: int32(sw.code), Message: message,
		Reason: reasonForCode(sw.code),
	})
	sw.ResponseWriter.Header().Del("X-Content-Type-Options")
	writeError(sw.ResponseWriter, nil, err)
}

func reasonForCode(code int) metav1.StatusReason {
	switch code {
	case http.StatusBadRequest:
		return metav1.StatusReasonBadRequest
	case http.StatusNotFound:
		return metav1.StatusReasonNotFound
	case http.StatusServiceUnavailable:
		return metav1.StatusReasonServiceUnavailable
	case http.StatusTooManyRequests:
		return metav1.StatusReasonTooManyRequests
	}
	return metav1.StatusReasonInternalError
}
