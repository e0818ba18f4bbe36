package translate

import (
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// testNode is the node every table starts from.
func testNode() Node {
	return Node{
		Name: "node1", PodLogRoot: "/var/log/pods", CgroupParent: "/minikubelet", RuntimeName: "containerd",
		HostDNS: &runtimeapi.DNSConfig{Servers: []string{"10.0.0.1"}, Searches: []string{"corp.example"}, Options: []string{"ndots:5"}},
	}
}

// testPod is a pod web in default with one container app; every table
// starts from it.
func testPod() *v1.Pod {
	pod := &v1.Pod{}
	pod.Name, pod.Namespace, pod.UID = "web", "default", types.UID("uid-1")
	pod.Spec.Containers = []v1.Container{{Name: "app", Image: "registry.example/app:1"}}
	return pod
}

func ptr[T any](v T) *T { return &v }

// assertProto fails the test with both messages when they differ.
func assertProto(t *testing.T, what string, got, want proto.Message) {
	t.Helper()
	if !proto.Equal(got, want) {
		opts := prototext.MarshalOptions{Multiline: true}
		t.Errorf("%s:\ngot:\n%s\nwant:\n%s", what, opts.Format(got), opts.Format(want))
	}
}
