package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	"github.com/minikubelet/minikubelet/kubelet/logs"
	"github.com/minikubelet/minikubelet/metrics"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// Run starts the agent and blocks until ctx ends or a part fails. Pods are
// left running when it returns, like the kubelet's.
func Run(ctx context.Context, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	log, err := newLogger(opts)
	if err != nil {
		return err
	}
	if opts.NodeName == "" {
		if opts.NodeName, err = os.Hostname(); err != nil {
			return fmt.Errorf("finding the node name: %w (set --node-name)", err)
		}
	}
	log.Debug("effective configuration", "options", fmt.Sprintf("%+v", opts))
	logMaxSize, err := resource.ParseQuantity(opts.ContainerLogMaxSize)
	if err != nil {
		return fmt.Errorf("--container-log-max-size %q: %w (use a size such as 10Mi)", opts.ContainerLogMaxSize, err)
	}

	registry := prometheus.NewRegistry()
	m, err := metrics.New(registry)
	if err != nil {
		return err
	}
	runtime, managed, err := connectRuntime(ctx, opts, m, log)
	if err != nil {
		return err
	}
	defer managed.release()
	defer runtime.Close(context.Background())
	log.Info("runtime ready", "endpoint", runtime.Endpoint(), "runtime", runtime.RuntimeName(), "version", runtime.RuntimeVersion(), "managed", managed != nil)
	cgroupDriver, err := detectCgroupDriver(ctx, runtime)
	if err != nil {
		return err
	}
	if err := checkCgroupParent(runtime.RuntimeName(), cgroupDriver, opts.CgroupParent); err != nil {
		return err
	}

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		logCapabilities(log, runtime, probeCapabilities(ctx, runtime, cgroupDriver), opts.RelistPeriod)
		return nil
	})
	g.Go(func() error { return managed.Supervise(ctx) })
	networkReady := newReadiness(runtime)
	if opts.ManageNetwork {
		network, err := startNetwork(ctx, opts, runtime, m, log)
		if err != nil {
			return err
		}
		g.Go(func() error { return network.Run(ctx) })
	}

	source, err := staticpods.NewSource(staticpods.Config{
		Dir: opts.ManifestDir, NodeName: opts.NodeName, Relist: opts.ManifestRelist,
		Logger: log.With("component", "manifests"),
	})
	if err != nil {
		return err
	}
	kl, err := kubelet.New(kubelet.Config{
		Runtime: runtime, Images: runtime, RuntimeName: runtime.RuntimeName(),
		NodeName: opts.NodeName, RootDir: opts.RootDir, PodLogDir: opts.PodLogDir,
		CgroupParent: opts.CgroupParent, RelistPeriod: opts.RelistPeriod,
		NetworkReady: networkReady.check, Metrics: m, Exec: runtime, Registerer: registry,
		Logger: log.With("component", "kubelet"),
	})
	if err != nil {
		return err
	}
	m.SetPodCounter(kl)
	ownLabels := map[string]string{kubelet.ManagedByLabel: kubelet.ManagedByValue, kubelet.NodeLabel: opts.NodeName}
	rotator, err := logs.NewRotator(logs.RotatorConfig{
		Runtime: runtime, MaxSize: logMaxSize.Value(), MaxFiles: opts.ContainerLogMaxFiles,
		Interval: opts.ContainerLogMonitorInterval,
		Labels:   ownLabels, Logger: log.With("component", "logs"),
	})
	if err != nil {
		return err
	}
	handler, err := apiHandler(opts, kl, runtime, registry, ownLabels, networkReady, log)
	if err != nil {
		return err
	}
	listener, apiURL, err := apiserver.Listen(opts.APIListen())
	if err != nil {
		return err
	}
	// Requests (log follows, port-forward tunnels) live in the agent's
	// context, so stopping the agent closes them.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	log.Info("API listening", "address", apiURL)

	g.Go(func() error { return source.Run(ctx) })
	g.Go(func() error { return kl.Run(ctx) })
	g.Go(func() error { feedDesired(ctx, source, kl, m); return nil })
	g.Go(func() error { return rotator.Run(ctx) })
	g.Go(func() error { return serveHTTP(ctx, srv, listener, log) })
	err = g.Wait()
	log.Info("agent stopped; pods keep running")
	return err
}

// startNetwork writes and checks the pod network configuration before any
// pod is started, so a missing plugin is one clear error at start rather
// than a failure deep inside RunPodSandbox.
func startNetwork(ctx context.Context, opts Options, runtime *cri.Client, m *metrics.Kubelet, log *slog.Logger) (*cni.Manager, error) {
	network, err := cni.New(cni.Config{
		PodCIDR: opts.PodCIDR, ClusterCIDR: opts.ClusterCIDR, BridgeName: opts.BridgeName,
		ConfDir: opts.CNIConfDir, BinDirs: opts.CNIBinDirs, CacheDir: opts.CNICacheDir, DataDir: opts.CNIDataDir,
		Peers: opts.Peers, CheckInterval: opts.CNICheckInterval, LeakGrace: opts.CNILeakGrace,
		Logger: log.With("component", "cni"), OnRepair: m.RepairedCNIConfig,
		OnLeakReleased: func() { m.ReleasedLeakedAddresses(1) },
	}, runtime)
	if err != nil {
		return nil, err
	}
	if err := network.Setup(ctx); err != nil {
		return nil, err
	}
	log.Info("pod network configured", "conflist", network.ConfPath(), "podCIDR", opts.PodCIDR)
	return network, nil
}

// feedDesired hands every manifest snapshot to the sync loop.
func feedDesired(ctx context.Context, source *staticpods.Source, kl *kubelet.Kubelet, m *metrics.Kubelet) {
	for {
		select {
		case <-ctx.Done():
			return
		case snap := <-source.Updates():
			pods := make([]kubelet.DesiredPod, 0, len(snap.Pods))
			for _, p := range snap.Pods {
				pods = append(pods, kubelet.DesiredPod{Pod: p.Pod, File: p.File, Stale: p.Stale})
			}
			errs := make([]kubelet.ManifestError, 0, len(snap.Errors))
			files := make([]string, 0, len(snap.Errors))
			for _, e := range snap.Errors {
				errs = append(errs, kubelet.ManifestError{File: e.File, Messages: e.Messages, Pods: e.Pods})
				files = append(files, e.File)
			}
			kl.SetDesired(pods, errs)
			m.SetManifestErrors(files)
		}
	}
}

func serveHTTP(ctx context.Context, srv *http.Server, l net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving the agent API: %w", err)
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			log.Warn("API shutdown", "err", err)
		}
		return nil
	}
}
