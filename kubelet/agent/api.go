package agent

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	"github.com/minikubelet/minikubelet/kubelet/logs"
	"github.com/minikubelet/minikubelet/kubelet/portforward"
	"github.com/minikubelet/minikubelet/kubelet/server"
	"github.com/minikubelet/minikubelet/metrics"
)

// apiHandler assembles the agent's HTTP API from every part's routes:
// the node API (kubectl's pod verbs), port-forward, logs and metrics,
// behind the bearer token when one is configured.
func apiHandler(opts Options, kl *kubelet.Kubelet, runtime *cri.Client, registry *prometheus.Registry, ownLabels map[string]string, ready *readiness, log *slog.Logger) (http.Handler, error) {
	metricHandlers, err := metrics.NewHandlers(metrics.HandlerConfig{
		Gatherer: registry, Runtime: runtime, Images: runtime, PodSelector: ownLabels, Logger: log.With("component", "metrics"),
	})
	if err != nil {
		return nil, err
	}
	logHandler, err := logs.NewHandler(logs.HandlerConfig{Locator: logLocator{kl}, Logger: log.With("component", "logs")})
	if err != nil {
		return nil, err
	}
	routes := metricHandlers.Routes()
	routes["GET /containerLogs/"] = logHandler
	nodeAPI, err := apiserver.New(apiserver.Config{
		Pods: kl, ManifestDir: opts.ManifestDir, NodeName: opts.NodeName, Logs: logHandler,
		Logger: log.With("component", "apiserver"),
	})
	if err != nil {
		return nil, err
	}
	maps.Copy(routes, nodeAPI.Routes())
	forwarder, err := portforward.NewHandler(portforward.HandlerConfig{
		Pods: sandboxLocator{kl}, Runtime: runtime, Logger: log.With("component", "portforward"),
	})
	if err != nil {
		return nil, err
	}
	for _, pattern := range portforward.Patterns() {
		routes[pattern] = forwarder
	}
	handler := server.New(server.Config{
		Pods: kl, Routes: routes, Logger: log,
		Healthy: func() error { return ready.check(context.Background()) },
	})
	if opts.TokenFile == "" {
		return handler, nil
	}
	token, err := apiserver.ReadTokenFile(opts.TokenFile)
	if err != nil {
		return nil, err
	}
	return apiserver.RequireToken(handler, token, log.With("component", "apiserver"))
}

// APIListen is where and how the options say the API listens.
func (o Options) APIListen() apiserver.ListenConfig {
	return apiserver.ListenConfig{Address: o.Listen, TLSCertFile: o.TLSCertFile, TLSKeyFile: o.TLSKeyFile, TokenFile: o.TokenFile}
}

// sandboxLocator adapts the sync loop's lookups to the port-forward handler.
type sandboxLocator struct{ kl *kubelet.Kubelet }

func (l sandboxLocator) PodSandbox(_ context.Context, namespace, name string) (portforward.Sandbox, error) {
	found, err := l.kl.LookupSandbox(namespace, name)
	if errors.Is(err, kubelet.ErrPodNotFound) {
		return portforward.Sandbox{}, errors.Join(err, portforward.ErrNotFound)
	}
	if err != nil {
		return portforward.Sandbox{}, err
	}
	sandbox := portforward.Sandbox{ID: found.SandboxID, PodIP: found.PodIP, Ports: found.Ports}
	if view, ok := l.kl.GetPod(namespace, name); ok {
		sandbox.PodUID = view.Pod.UID
	}
	return sandbox, nil
}

// logLocator adapts the sync loop's lookups to the log handler.
type logLocator struct{ kl *kubelet.Kubelet }

func (l logLocator) LocateContainer(_ context.Context, namespace, pod, container string) (logs.ContainerLogInfo, error) {
	found, err := l.kl.LookupContainer(namespace, pod, container)
	switch {
	case errors.Is(err, kubelet.ErrContainerChoice):
		return logs.ContainerLogInfo{}, &logs.ContainerChoiceError{Pod: pod, Containers: found.Containers}
	case errors.Is(err, kubelet.ErrPodNotFound):
		return logs.ContainerLogInfo{}, errors.Join(err, logs.ErrNotFound)
	case err != nil:
		return logs.ContainerLogInfo{}, err
	}
	return logs.ContainerLogInfo{
		Name: found.Name, ContainerID: found.ContainerID, LogPath: found.LogPath,
		PreviousLogPath: found.PreviousLogPath, Running: found.Running, Containers: found.Containers,
	}, nil
}

// readiness remembers the runtime's NetworkReady for a few seconds, so
// starting many pods costs one CRI Status call, not one per pod.
type readiness struct {
	runtime cni.StatusReader

	mu      sync.Mutex
	checked time.Time
	err     error
}

func newReadiness(runtime cni.StatusReader) *readiness { return &readiness{runtime: runtime} }

const readinessTTL = 5 * time.Second

func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.checked.IsZero() && time.Since(r.checked) < readinessTTL && r.err == nil {
		return nil
	}
	r.err = cni.CheckNetworkReady(ctx, r.runtime, 5*time.Second)
	r.checked = time.Now()
	return r.err
}
