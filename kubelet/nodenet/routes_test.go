package nodenet

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/kubelet/kubeapi/kubeapitest"
)

// The routes follow the cluster's Nodes: a node that joins with a pod
// CIDR gets one, a node that leaves loses it.
func TestKeepRoutesFollowsTheNodes(t *testing.T) {
	client := fake.NewClientset(node("me", "192.168.0.1", "10.244.1.0/24"), node("b", "192.168.0.2", "10.244.2.0/24"))
	var mu sync.Mutex
	var installed string
	_, own, _ := net.ParseCIDR("10.244.1.0/24")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		KeepRoutes(ctx, RoutesConfig{NodeName: "me", PodCIDR: own, Nodes: kubeapitest.Nodes(client), Logger: slog.New(slog.DiscardHandler),
			SetPeers: func(_ context.Context, peers []cni.Peer) error {
				var s []string
				for _, p := range peers {
					s = append(s, p.String())
				}
				mu.Lock()
				installed = strings.Join(s, " ")
				mu.Unlock()
				return nil
			}})
	}()
	defer func() { cancel(); <-done }()
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			got := installed
			mu.Unlock()
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("routes %q, want %q", got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("192.168.0.2=10.244.2.0/24")
	nodes := client.CoreV1().Nodes()
	if _, err := nodes.Create(ctx, node("c", "192.168.0.3", "10.244.3.0/24"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("192.168.0.2=10.244.2.0/24 192.168.0.3=10.244.3.0/24")
	if err := nodes.Delete(ctx, "b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("192.168.0.3=10.244.3.0/24")
}
