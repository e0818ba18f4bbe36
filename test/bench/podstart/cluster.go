package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// clusterBed is the test bed's control plane (-cluster): the agent joins
// it as a node, and the pods come from kube-apiserver, bound to the node
// (spec.nodeName, no scheduler), as every pod of a cluster does: with
// its service-account token volume.
type clusterBed struct {
	certTool []string
	client   kubernetes.Interface
}

func newClusterBed(path string) (*clusterBed, error) {
	env, err := readEnv(path)
	if err != nil {
		return nil, err
	}
	if env["KUBECONFIG"] == "" || env["NODE_CERT_TOOL"] == "" {
		return nil, fmt.Errorf("%s lacks KUBECONFIG or NODE_CERT_TOOL: run `make testbed-up CLUSTER=1`", path)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", env["KUBECONFIG"])
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 200, 400 // the bench's own calls must not be what is measured
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &clusterBed{certTool: strings.Fields(env["NODE_CERT_TOOL"]), client: client}, nil
}

// agentArgs mints node credentials for node and returns the flags that
// join the agent with them.
func (c *clusterBed) agentArgs(dir, node string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(dir, "node.kubeconfig")
	args := append(append([]string{}, c.certTool[1:]...), node, kubeconfig)
	if out, err := exec.Command(c.certTool[0], args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("minting node credentials: %w: %s", err, out)
	}
	port, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	return []string{"--kubeconfig", kubeconfig, "--kubelet-port", port[strings.LastIndex(port, ":")+1:]}, nil
}

// waitReady waits until node is Ready in the API server.
func (c *clusterBed) waitReady(ctx context.Context, node string) error {
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); {
		n, err := c.client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err == nil {
			for _, cond := range n.Status.Conditions {
				if cond.Type == v1.NodeReady && cond.Status == v1.ConditionTrue {
					return nil
				}
			}
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("node %s not Ready within 90 s", node)
}

func (c *clusterBed) deleteNode(node string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.client.CoreV1().Nodes().Delete(ctx, node, metav1.DeleteOptions{})
}

// apiPods creates and deletes the bench's pods through kube-apiserver.
type apiPods struct {
	bed         *clusterBed
	node, image string
}

func (p apiPods) create(ctx context.Context, name string) error {
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1.PodSpec{NodeName: p.node, Containers: []v1.Container{{Name: "kubia", Image: p.image}}}}
	_, err := p.bed.client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	return err
}

func (p apiPods) remove(ctx context.Context, name string) error {
	err := p.bed.client.CoreV1().Pods("default").Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// waitRunning waits until the API server shows every pod of names Running
// and Ready, as `kubectl get pods` would, and returns when that was.
func (p apiPods) waitRunning(ctx context.Context, names []string) (time.Time, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	selector := fields.OneTermEqualSelector("spec.nodeName", p.node).String()
	for {
		list, err := p.bed.client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			return time.Time{}, err
		}
		running := 0
		for _, pod := range list.Items {
			if want[pod.Name] && pod.Status.Phase == v1.PodRunning && ready(&pod) {
				running++
			}
		}
		if running == len(want) {
			return time.Now(), nil
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return time.Time{}, err
		}
	}
}

// waitDeleted waits until the API server no longer has any pod of the node.
func (p apiPods) waitDeleted(ctx context.Context) error {
	selector := fields.OneTermEqualSelector("spec.nodeName", p.node).String()
	for {
		list, err := p.bed.client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err == nil && len(list.Items) == 0 {
			return nil
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

func ready(pod *v1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == v1.PodReady {
			return c.Status == v1.ConditionTrue
		}
	}
	return false
}

// deleteNodePods removes, at once, what a failed round left of the
// node's pods in the API server.
func (c *clusterBed) deleteNodePods(ctx context.Context, node string) {
	selector := fields.OneTermEqualSelector("spec.nodeName", node).String()
	list, err := c.client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{FieldSelector: selector})
	if err != nil {
		return
	}
	zero := int64(0)
	for _, pod := range list.Items {
		_ = c.client.CoreV1().Pods("default").Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	}
}
