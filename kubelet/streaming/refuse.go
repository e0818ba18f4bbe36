package streaming

import (
	"encoding/json"
	"fmt"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// refusal is an answer given before any upgrade, with the status code and
// the body clients expect for it.
type refusal struct {
	code int
	// reason is the API Status's reason; "" answers plain text, as the
	// kubelet answers a streaming failure (client-go's SPDY dialer then
	// says "unable to upgrade connection: TEXT").
	reason metav1.StatusReason
	err    error
	// retryAfter, when set, is sent as Retry-After (seconds).
	retryAfter int
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

func refuse(code int, reason metav1.StatusReason, format string, args ...any) *refusal {
	return &refusal{code: code, reason: reason, err: fmt.Errorf(format, args...)}
}

// write answers the refusal: an API Status (which kubectl prints as
// "Error from server (Reason): message") or the kubelet's plain text.
func (r *refusal) write(w http.ResponseWriter) {
	if r.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(r.retryAfter))
	}
	if r.reason == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(r.code)
		_, _ = fmt.Fprint(w, r.err.Error())
		return
	}
	status := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Code: int32(r.code), Reason: r.reason, Message: r.err.Error(),
	}
	body, _ := json.Marshal(status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.code)
	_, _ = w.Write(body)
}
