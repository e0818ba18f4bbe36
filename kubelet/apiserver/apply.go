package apiserver

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// applyPod answers a server-side apply (apply --server-side).
func (s *Server) applyPod(w http.ResponseWriter, _ *http.Request) {
	writeError(w, s.log, &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType, Reason: metav1.StatusReasonUnsupportedMediaType,
		Message: "server-side apply is not served by this node API; use client-side apply: kubectl apply -f FILE " +
			"(without --server-side) or minikubelet apply -f FILE",
	}})
}
