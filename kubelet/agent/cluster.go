package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet/apiclient"
	"github.com/minikubelet/minikubelet/kubelet/node"
	"github.com/minikubelet/minikubelet/kubelet/nodeauth"
)

// cluster is the cluster the agent joins: a client and this node's IP.
type cluster struct {
	client *nodeauth.Client
	ip     net.IP
}

// joinCluster loads --kubeconfig and finds the node's IP before anything
// starts, so a wrong file or another node's certificate is one error at
// start. Nil without --kubeconfig: standalone.
func joinCluster(opts Options) (*cluster, error) {
	if opts.Kubeconfig == "" {
		return nil, nil
	}
	client, err := nodeauth.Load(opts.Kubeconfig, "minikubelet/"+apiclient.ClientVersion())
	if err != nil {
		return nil, fmt.Errorf("kubeconfig (--kubeconfig): %w", err)
	}
	if err := client.CheckNodeUser(opts.NodeName); err != nil {
		return nil, fmt.Errorf("kubeconfig (--kubeconfig) %s: %w", opts.Kubeconfig, err)
	}
	ip, err := internalIP(opts.NodeIP)
	if err != nil {
		return nil, err
	}
	return &cluster{client: client, ip: ip}, nil
}

// nodeKeeper makes the Keeper that registers this node in the cluster and
// keeps it alive.
func (c *cluster) nodeKeeper(opts Options, runtime *cri.Client, network *readiness, log *slog.Logger) (*node.Keeper, error) {
	client, ip := c.client, c.ip
	spec := node.Spec{
		Name: opts.NodeName, InternalIP: ip, KubeletPort: listenPort(opts.Listen), MaxPods: opts.MaxPods,
		RuntimeVersion: runtime.RuntimeName() + "://" + runtime.RuntimeVersion(),
		KubeletVersion: apiclient.ClientVersion(),
	}
	log.Info("joining the cluster", "server", client.Server, "user", client.User, "node", spec.Name, "internalIP", ip, "kubeletPort", spec.KubeletPort)
	return node.New(node.Config{
		Client: client, Spec: spec, Host: node.LinuxHost{RootDir: opts.RootDir},
		Ready: func(ctx context.Context) node.Readiness {
			return node.Readiness{Runtime: runtimeReady(ctx, runtime), Network: network.check(ctx)}
		},
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

// listenPort is the TCP port of --listen; 0 for a unix socket, which the
// API server cannot reach.
func listenPort(listen string) int32 {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(port, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
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
