package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
	v1 "k8s.io/api/core/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet/apiclient"
	"github.com/minikubelet/minikubelet/kubelet/apipods"
	"github.com/minikubelet/minikubelet/kubelet/eventrecorder"
	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
	"github.com/minikubelet/minikubelet/kubelet/mirror"
	"github.com/minikubelet/minikubelet/kubelet/node"
	"github.com/minikubelet/minikubelet/kubelet/nodeauth"
)

// cluster is the cluster the agent joins: its client (nil until a
// bootstrap token has been exchanged for a node certificate; ready is
// closed once it is set) and this node's IP.
type cluster struct {
	client   *nodeauth.Client
	ready    chan struct{}
	ip       net.IP
	endpoint *nodeEndpoint
	// bootstrapped is set when the node got its certificate by TLS
	// bootstrapping: the agent then also rotates it.
	bootstrapped bool
}

// joinCluster reads --kubeconfig and finds the node's IP before anything
// starts, so a wrong file or another node's certificate is one error at
// start. Nil without --kubeconfig: standalone.
func joinCluster(opts Options) (*cluster, error) {
	if opts.Kubeconfig == "" {
		return nil, nil
	}
	bootstrap, err := nodeauth.IsBootstrap(opts.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig (--kubeconfig): %w", err)
	}
	c := &cluster{ready: make(chan struct{}), bootstrapped: bootstrap}
	if !bootstrap {
		if c.client, err = loadClusterClient(opts, opts.Kubeconfig); err != nil {
			return nil, err
		}
		close(c.ready)
	}
	if c.ip, err = internalIP(opts.NodeIP); err != nil {
		return nil, err
	}
	return c, nil
}

func loadClusterClient(opts Options, path string) (*nodeauth.Client, error) {
	client, err := nodeauth.Load(path, userAgent())
	if err != nil {
		return nil, fmt.Errorf("kubeconfig (--kubeconfig): %w", err)
	}
	if err := client.CheckNodeUser(opts.NodeName); err != nil {
		return nil, fmt.Errorf("kubeconfig (--kubeconfig) %s: %w", path, err)
	}
	return client, nil
}

// credentialsDir holds the node's bootstrapped credentials.
func credentialsDir(opts Options) string { return filepath.Join(opts.RootDir, "cluster") }

func userAgent() string { return "minikubelet/" + apiclient.ClientVersion() }

// clusterPods are the agent's pods the cluster sees: the static pods it
// mirrors, and the pods bound to this node (api) whose status it sends.
type clusterPods struct {
	static mirror.StaticPods
	api    *apipods.Source
	local  apipods.Node
	// events posts the pods' and the node's events.
	events *eventrecorder.Recorder
}

// run bootstraps the node's credentials when needed, then registers the
// node and keeps it alive, keeps the static pods' mirror pods, and sends
// the status of the pods bound to this node, until ctx ends. Failing to
// join never stops the agent: its pods run on, and the join is retried.
func (c *cluster) run(ctx context.Context, opts Options, runtime *cri.Client, network *readiness, pods clusterPods, agentLog *slog.Logger) error {
	log := agentLog.With("component", "node")
	bootstrapped := c.client == nil
	for failures := 0; c.client == nil; {
		err := c.bootstrap(ctx, opts, log)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			log.Warn("joining the cluster failed; retrying", "attempt", failures, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(min(time.Duration(failures)*5*time.Second, time.Minute)):
			}
		}
	}
	if bootstrapped {
		close(c.ready)
	}
	keeper, err := c.nodeKeeper(opts, runtime, network, pods.events, log)
	if err != nil {
		return err
	}
	mirrors := mirror.New(mirror.Config{
		NodeName: opts.NodeName, NodeIP: c.ip.String(), Pods: c.client.Pods(), Nodes: c.client.Nodes(),
		Static: pods.static, Logger: agentLog.With("component", "mirror"),
	})
	status := apipods.NewStatus(apipods.StatusConfig{
		Node: mirror.Node{Name: opts.NodeName, IP: c.ip.String()}, Local: pods.local, API: pods.api,
		Writer: c.client.Pods(), Logger: agentLog.With("component", "apipods"),
		Refused: func(pod *v1.Pod, why apipods.Verdict) {
			pods.events.Pod(eventrecorder.PodEvent{Pod: pod, Type: v1.EventTypeWarning, Reason: why.Reason, Message: why.Message})
		},
	})
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return keeper.Run(ctx) })
	g.Go(func() error { return mirrors.Run(ctx) })
	g.Go(func() error { return status.Run(ctx) })
	g.Go(func() error { return pods.events.Run(ctx, c.client.Events()) })
	if c.bootstrapped {
		g.Go(func() error {
			// Read again at each use: an operator may replace an
			// expired bootstrap token while the agent runs.
			bootstrap := func() (kubeapi.CSRs, error) { return nodeauth.BootstrapCSRs(opts.Kubeconfig, userAgent()) }
			err := nodeauth.RotateCertificate(ctx, nodeauth.RotationConfig{Dir: credentialsDir(opts), NodeName: opts.NodeName,
				CSRs: c.client.CSRs(), Bootstrap: bootstrap, Logger: log})
			if err != nil {
				// Joining never stops the agent: its pods run on.
				log.Error("the node's client certificate can no longer be renewed", "err", err)
			}
			return nil
		})
	}
	if !c.bootstrapped {
		g.Go(func() error { c.client.WatchExpiry(ctx, log, time.Now); return nil })
	}
	if c.endpoint != nil {
		g.Go(func() error {
			return c.endpoint.serve(ctx, opts, c.client, agentLog.With("component", "nodeendpoint"))
		})
	}
	return g.Wait()
}

// bootstrap exchanges a bootstrap token for a node certificate (or finds
// the one an earlier start got) and makes the cluster client of it.
func (c *cluster) bootstrap(ctx context.Context, opts Options, log *slog.Logger) error {
	path, err := nodeauth.NodeKubeconfig(ctx, nodeauth.BootstrapConfig{
		Kubeconfig: opts.Kubeconfig, NodeName: opts.NodeName, Dir: credentialsDir(opts),
		UserAgent: userAgent(), Logger: log,
	})
	if err != nil {
		return err
	}
	c.client, err = loadClusterClient(opts, path)
	return err
}

// nodeKeeper makes the Keeper that registers this node in the cluster and
// keeps it alive.
func (c *cluster) nodeKeeper(opts Options, runtime *cri.Client, network *readiness, events *eventrecorder.Recorder, log *slog.Logger) (*node.Keeper, error) {
	client, ip := c.client, c.ip
	spec := node.Spec{
		Name: opts.NodeName, InternalIP: ip, KubeletPort: opts.KubeletPort, MaxPods: opts.MaxPods,
		RuntimeVersion: containerRuntimeVersion(runtime.RuntimeName(), runtime.RuntimeVersion()),
		KubeletVersion: apiclient.ClientVersion(),
	}
	log.Info("joining the cluster", "server", client.Server, "user", client.User, "node", spec.Name, "internalIP", ip, "kubeletPort", spec.KubeletPort)
	return node.New(node.Config{
		Nodes: client.Nodes(), Leases: client.Leases(), Spec: spec, Host: node.LinuxHost{RootDir: opts.RootDir},
		Ready: func(ctx context.Context) node.Readiness {
			return node.Readiness{Runtime: runtimeReady(ctx, runtime), Network: network.check(ctx)}
		},
		Events: events.Node,
		Logger: log,
	})
}

// internalIP is --node-ip, or the IP of the interface holding the default
// route, as the kubelet chooses one.
func internalIP(flag string) (net.IP, error) {
	if flag != "" {
		return net.ParseIP(flag), nil
	}
	ip, err := utilnet.ChooseHostInterface()
	if err != nil {
		return nil, fmt.Errorf("finding this node's IP for the cluster: %w (set --node-ip)", err)
	}
	return ip, nil
}

// nodeIPs are the node's IPs for the downward API's status.hostIP: the
// Node's InternalIP in a cluster; standalone, the IP of the interface
// holding the default route, when there is one (as the kubelet finds it).
func nodeIPs(c *cluster, log *slog.Logger) []string {
	if c != nil {
		return []string{c.ip.String()}
	}
	ip, err := internalIP("")
	if err != nil {
		log.Debug("no IP for status.hostIP", "err", err)
		return nil
	}
	return []string{ip.String()}
}

// runtimeReady is the runtime's RuntimeReady condition, as the kubelet
// reads it for the Node's Ready.
func runtimeReady(ctx context.Context, runtime *cri.Client) error {
	if !runtime.Available() {
		return errors.New("the CRI runtime does not answer")
	}
	ctx, cancel := context.WithTimeout(ctx, readinessTimeout)
	defer cancel()
	resp, err := runtime.Status(ctx, false)
	if err != nil {
		return fmt.Errorf("asking the runtime for its status: %w", err)
	}
	return checkRuntimeReady(resp)
}

func checkRuntimeReady(resp *runtimeapi.StatusResponse) error {
	for _, c := range resp.GetStatus().GetConditions() {
		if c.GetType() != runtimeapi.RuntimeReady {
			continue
		}
		if c.GetStatus() {
			return nil
		}
		return fmt.Errorf("RuntimeReady=false reason:%s message:%s", c.GetReason(), c.GetMessage())
	}
	return errors.New("the runtime's status has no RuntimeReady condition")
}
