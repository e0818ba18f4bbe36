package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/apipods"
	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	"github.com/minikubelet/minikubelet/kubelet/eventrecorder"
	"github.com/minikubelet/minikubelet/kubelet/logs"
	"github.com/minikubelet/minikubelet/kubelet/node"
	"github.com/minikubelet/minikubelet/kubelet/servicelinks"
	"github.com/minikubelet/minikubelet/kubelet/translate"
	"github.com/minikubelet/minikubelet/kubelet/volume"
	"github.com/minikubelet/minikubelet/metrics"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// Run starts the agent and blocks until ctx ends or a part fails. Pods are
// left running when it returns, like the kubelet's.
func Run(ctx context.Context, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	if err := checkManifestDir(opts.ManifestDir); err != nil {
		return err
	}
	log, err := newLogger(opts)
	if err != nil {
		return err
	}
	if opts.NodeName == "" {
		if opts.NodeName, err = defaultNodeName(opts.Kubeconfig); err != nil {
			return err
		}
	}
	gcPercent := setGCPercent()
	log.Debug("effective configuration", "options", fmt.Sprintf("%+v", opts), "gcPercent", gcPercent)
	cluster, err := joinCluster(opts)
	if err != nil {
		return err
	}
	logMaxSize, err := resource.ParseQuantity(opts.ContainerLogMaxSize)
	if err != nil {
		return fmt.Errorf("--container-log-max-size %q: %w (use a size such as 10Mi)", opts.ContainerLogMaxSize, err)
	}

	registry := prometheus.NewRegistry()
	m, err := metrics.New(registry)
	if err != nil {
		return err
	}
	if cluster != nil {
		if err := metrics.RegisterRESTClient(registry); err != nil {
			return err
		}
	}
	runtime, managed, err := connectRuntime(ctx, opts, m, log)
	if err != nil {
		return err
	}
	defer managed.Release()
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
	g.Go(func() error { return runtime.WatchAvailability(ctx) })
	g.Go(func() error {
		logCapabilities(log, runtime, probeCapabilities(ctx, runtime, cgroupDriver), opts.RelistPeriod)
		return nil
	})
	g.Go(func() error { return managed.Supervise(ctx) })
	networkReady := newReadiness(runtime)
	switch {
	case opts.ManageNetwork && cluster != nil && opts.PodCIDR == "":
		// The pod network starts on the Node's podCIDR, once the
		// controller-manager assigned one; until then pods wait.
		networkReady.setPlugins(waitingForPodCIDR)
		g.Go(func() error { return runClusterNetwork(ctx, opts, cluster, runtime, m, networkReady, log) })
	case opts.ManageNetwork:
		if opts.PodCIDR == "" {
			opts.PodCIDR = cni.DefaultPodCIDR
		}
		network, lock, err := startNetwork(ctx, opts, runtime, m, log)
		if err != nil {
			return err
		}
		defer lock.Release()
		networkReady.setPlugins(network.PluginsReady)
		g.Go(func() error { return network.Run(ctx) })
		if cluster != nil {
			g.Go(func() error { keepClusterRoutes(ctx, opts, cluster, network, log); return nil })
		}
	}

	source, err := staticpods.NewSource(staticpods.Config{
		Dir: opts.ManifestDir, NodeName: opts.NodeName, Relist: opts.ManifestRelist,
		Logger: log.With("component", "manifests"),
	})
	if err != nil {
		return err
	}
	sources := []kubelet.PodSource{fileSource{source: source, metrics: m}}
	var kl *kubelet.Kubelet
	var apiPods *apipods.Source
	var podObjects volume.Objects
	var services *servicelinks.Watcher
	var events *eventrecorder.Recorder
	var onEvent func(kubelet.PodEvent)
	if cluster != nil {
		podObjects = newPodObjects(cluster)
		services = newServiceWatcher(cluster)
		g.Go(func() error { services.Run(ctx, log.With("component", "services")); return nil })
		// The sync loop waits for this source's first list before it
		// removes pods it finds in the runtime, so a restart adopts them.
		apiPods = newAPISource(cluster, opts.NodeName, func(uid types.UID, seconds int64) { kl.SetDeletionGracePeriod(uid, seconds) },
			func() []*v1.Pod { return staticPodsOn(kl) }, log)
		sources = append(sources, apiPods)
		events = newEventRecorder(opts.NodeName, apiPods, log)
		onEvent = podEvents(events, opts.NodeName)
	}
	kl, err = kubelet.New(kubelet.Config{
		Runtime: runtime, Images: runtime, Events: runtime, RuntimeName: runtime.RuntimeName(), RuntimeVersion: runtime.RuntimeVersion(),
		NodeName: opts.NodeName, NodeIPs: nodeIPs(cluster, log), RootDir: opts.RootDir, PodLogDir: opts.PodLogDir,
		CgroupParent: opts.CgroupParent, RelistPeriod: opts.RelistPeriod, MaxPods: opts.MaxPods,
		Allocatable:  node.Allocatable(node.LinuxHost{RootDir: opts.RootDir}.Observe(), opts.MaxPods),
		NetworkReady: networkReady.check, WaitRuntime: runtime.WaitAvailable,
		Metrics: m, Exec: runtime, Registerer: registry,
		Sources: sources, PodObjects: podObjects, Services: serviceLister(services), OnEvent: onEvent,
		Logger: log.With("component", "kubelet"),
	})
	if err != nil {
		return err
	}
	m.SetPodCounter(kl)
	disk := newDiskSpace(opts, kl, m.SetDiskFull, log.With("component", "disk"))
	ownLabels := translate.ManagedSelector(opts.NodeName)
	rotator, err := logs.NewRotator(logs.RotatorConfig{
		Runtime: runtime, MaxSize: logMaxSize.Value(), MaxFiles: opts.ContainerLogMaxFiles,
		Interval: opts.ContainerLogMonitorInterval,
		Labels:   ownLabels, Logger: log.With("component", "logs"),
	})
	if err != nil {
		return err
	}
	creds, err := apiCredentials(opts)
	if err != nil {
		return err
	}
	handler, followPods, kubeletRoutes, err := apiHandler(opts, creds.Token, kl, runtime, registry, ownLabels, networkReady, log)
	if err != nil {
		return err
	}
	if cluster != nil {
		if cluster.endpoint, err = openNodeEndpoint(opts, cluster.ip, kubeletRoutes, func(namespace, name string) []string {
			return kl.PodSources(namespace, name)
		}); err != nil {
			return err
		}
		defer cluster.endpoint.listener.Close()
	}
	listener, apiURL, err := apiserver.Listen(opts.APIListen(), creds)
	if err != nil {
		return err
	}
	if err := apiserver.WriteAdminKubeconfig(opts.AdminKubeconfigPath(), apiURL, opts.NodeName, creds); err != nil {
		listener.Close()
		return err
	}
	// Requests (log follows, port-forward tunnels) live in the agent's
	// context, so stopping the agent closes them.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	log.Info("API listening", "address", apiURL, "kubeconfig", opts.AdminKubeconfigPath())

	if cluster != nil {
		g.Go(func() error {
			return cluster.run(ctx, opts, runtime, networkReady, clusterPods{static: staticPods{kl}, api: apiPods, local: localPods{kl}, events: events}, log)
		})
	}
	g.Go(func() error { return kl.Run(ctx) })
	g.Go(func() error { return followPods(ctx) })
	g.Go(func() error { return rotator.Run(ctx) })
	g.Go(func() error { return disk.run(ctx) })
	g.Go(func() error { return serveHTTP(ctx, srv, listener, log) })
	err = g.Wait()
	log.Info("agent stopped; pods keep running")
	return err
}

// startNetwork writes and checks the pod network configuration before any
// pod is started, so a missing plugin is one clear error at start rather
// than a failure deep inside RunPodSandbox.
func startNetwork(ctx context.Context, opts Options, runtime *cri.Client, m *metrics.Kubelet, log *slog.Logger) (*cni.Manager, *cni.NetworkLock, error) {
	cfg := cni.Config{
		PodCIDR: opts.PodCIDR, ClusterCIDR: opts.ClusterCIDR, BridgeName: opts.BridgeName,
		ConfDir: opts.CNIConfDir, BinDirs: opts.CNIBinDirs, CacheDir: opts.CNICacheDir, DataDir: opts.CNIDataDir,
		Peers: opts.Peers, CheckInterval: opts.CNICheckInterval, LeakGrace: opts.CNILeakGrace,
		Logger: log.With("component", "cni"), OnRepair: m.RepairedCNIConfig,
		OnLeakReleased: func() { m.ReleasedLeakedAddresses(1) },
	}
	network, err := cni.New(cfg, runtime)
	if err != nil {
		return nil, nil, err
	}
	lock, err := lockNetwork(cfg, opts, runtime.Endpoint())
	if err != nil {
		return nil, nil, err
	}
	if err := network.Setup(ctx); err != nil {
		lock.Release()
		return nil, nil, err
	}
	log.Info("pod network configured", "conflist", network.ConfPath(), "podCIDR", opts.PodCIDR)
	return network, lock, nil
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
