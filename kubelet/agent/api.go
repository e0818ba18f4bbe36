package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	"github.com/minikubelet/minikubelet/kubelet/logs"
	"github.com/minikubelet/minikubelet/kubelet/node"
	"github.com/minikubelet/minikubelet/kubelet/portforward"
	"github.com/minikubelet/minikubelet/kubelet/server"
	"github.com/minikubelet/minikubelet/kubelet/streaming"
	"github.com/minikubelet/minikubelet/metrics"
)

// apiHandler assembles the agent's HTTP API from every part's routes:
// the node API (kubectl's pod verbs), port-forward, exec and attach,
// logs and metrics, all behind the bearer token but /healthz. follow keeps
// the node API in step with the sync loop (apiserver.Server.Follow).
// kubeletRoutes are the same log, exec/attach and port-forward handlers on
// the kubelet's paths only, for the node endpoint the cluster's API server
// reaches (package nodeserver).
func apiHandler(opts Options, token string, kl *kubelet.Kubelet, runtime *cri.Client, registry *prometheus.Registry, ownLabels map[string]string, ready *readiness, log *slog.Logger) (handler http.Handler, follow func(context.Context) error, kubeletRoutes map[string]http.Handler, err error) {
	metricHandlers, err := metrics.NewHandlers(metrics.HandlerConfig{
		Gatherer: registry, Runtime: runtime, Images: runtime, PodSelector: ownLabels, Logger: log.With("component", "metrics"),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	logHandler, err := logs.NewHandler(logs.HandlerConfig{Locator: logLocator{kl}, Logger: log.With("component", "logs")})
	if err != nil {
		return nil, nil, nil, err
	}
	routes := metricHandlers.Routes()
	routes["GET /containerLogs/"] = logHandler
	kubeletRoutes = map[string]http.Handler{"GET /containerLogs/": logHandler}
	nodeAPI, err := apiserver.New(apiserver.Config{
		Pods: kl, ManifestDir: opts.ManifestDir, NodeName: opts.NodeName, Logs: logHandler,
		Node:  nodeInfo(node.LinuxHost{RootDir: opts.RootDir}, runtime.RuntimeName(), runtime.RuntimeVersion(), opts.MaxPods, ready.check),
		Usage: metricHandlers, Logger: log.With("component", "apiserver"),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	maps.Copy(routes, nodeAPI.Routes())
	forwarder, err := portforward.NewHandler(portforward.HandlerConfig{
		Pods: sandboxLocator{kl}, Runtime: runtime, Logger: log.With("component", "portforward"),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	for _, pattern := range portforward.Patterns() {
		routes[pattern] = forwarder
	}
	kubeletRoutes[portforward.KubeletPattern] = forwarder
	kubeletRoutes[portforward.KubeletUIDPattern] = forwarder
	execAttach, err := streamingRoutes(kl, runtime, log)
	if err != nil {
		return nil, nil, nil, err
	}
	maps.Copy(routes, execAttach)
	for _, pattern := range streaming.KubeletPatterns() {
		kubeletRoutes[pattern] = execAttach[pattern]
	}
	maps.Copy(routes, profilingRoutes())
	mux := server.New(server.Config{
		Pods: kl, Routes: routes, Logger: log,
		Healthy: ready.check,
	})
	handler, err = apiserver.RequireToken(mux, token, log.With("component", "apiserver"))
	return handler, nodeAPI.Follow, kubeletRoutes, err
}

// APIListen is where and how the options say the API listens.
func (o Options) APIListen() apiserver.ListenConfig {
	return apiserver.ListenConfig{Address: o.Listen, TLSCertFile: o.TLSCertFile, TLSKeyFile: o.TLSKeyFile}
}

// apiCredentials returns the API's token and serving certificate: the
// operator's files, or ones generated under the root directory.
func apiCredentials(opts Options) (apiserver.Credentials, error) {
	if err := os.MkdirAll(opts.RootDir, 0o755); err != nil {
		return apiserver.Credentials{}, fmt.Errorf("creating --root-dir %s: %w", opts.RootDir, err)
	}
	return apiserver.EnsureCredentials(apiserver.CredentialsConfig{
		RootDir: opts.RootDir, TokenFile: opts.TokenFile, TLSCertFile: opts.TLSCertFile, TLSKeyFile: opts.TLSKeyFile,
		Host: opts.NodeName, IPs: opts.APIListen().CertificateIPs(),
	})
}

// AdminKubeconfigPath is where the agent writes the kubeconfig that
// reaches its API as administrator.
func (o Options) AdminKubeconfigPath() string {
	return filepath.Join(o.RootDir, apiserver.AdminKubeconfigName)
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
