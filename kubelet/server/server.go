// Package server is the agent's HTTP API: health, the kubelet's /pods, and
// the routes other packages contribute (logs, metrics, port-forward).
package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/minikubelet/minikubelet/kubelet"
)

// PodLister is the slice of the sync loop the API reads.
type PodLister interface {
	Pods() []kubelet.PodView
}

// Config holds the API's parts. Routes maps extra patterns (Go 1.22
// ServeMux syntax) to handlers, e.g. "GET /metrics".
type Config struct {
	Pods   PodLister
	Routes map[string]http.Handler
	// Healthy, when set, explains why the agent is not healthy.
	Healthy func(context.Context) error
	Logger  *slog.Logger
}

// New returns the API's handler.
func New(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Healthy != nil {
			if err := cfg.Healthy(r.Context()); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /pods", func(w http.ResponseWriter, _ *http.Request) {
		list := v1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}}
		for _, view := range cfg.Pods.Pods() {
			list.Items = append(list.Items, *view.Pod)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(list)
	})
	for pattern, h := range cfg.Routes {
		mux.Handle(pattern, h)
	}
	return mux
}
