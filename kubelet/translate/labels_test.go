package translate

import (
	"maps"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestContainerAnnotations(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*v1.Pod)
		restart int
		want    map[string]string // besides the hash
	}{
		{name: "restart count and the pod's grace period", restart: 3,
			want: map[string]string{ContainerRestartCountAnnotation: "3", PodTerminationGraceAnnotation: "30"}},
		{name: "a huge grace period is recorded clamped",
			change: func(p *v1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr(int64(1) << 62) },
			want:   map[string]string{ContainerRestartCountAnnotation: "0", PodTerminationGraceAnnotation: "315360000"}},
		{name: "the termination message path",
			change: func(p *v1.Pod) { p.Spec.Containers[0].TerminationMessagePath = "/tmp/msg" },
			want: map[string]string{ContainerRestartCountAnnotation: "0", PodTerminationGraceAnnotation: "30",
				ContainerTerminationMessagePath: "/tmp/msg"}},
		{name: "ports as the API's JSON",
			change: func(p *v1.Pod) {
				p.Spec.Containers[0].Ports = []v1.ContainerPort{{ContainerPort: 53, Protocol: v1.ProtocolUDP}, {Name: "web", ContainerPort: 80, HostPort: 8080}}
			},
			want: map[string]string{ContainerRestartCountAnnotation: "0", PodTerminationGraceAnnotation: "30",
				ContainerPortsAnnotation: `[{"containerPort":53,"protocol":"UDP"},{"name":"web","hostPort":8080,"containerPort":80}]`}},
		{name: "the pod's own annotations stay on the sandbox",
			change: func(p *v1.Pod) { p.Annotations = map[string]string{"note": "x"} },
			want:   map[string]string{ContainerRestartCountAnnotation: "0", PodTerminationGraceAnnotation: "30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			if tt.change != nil {
				tt.change(pod)
			}
			c := &pod.Spec.Containers[0]
			want := maps.Clone(tt.want)
			want[ContainerHashAnnotation] = ContainerHash(c)
			want[ContainerSpecHashAnnotation] = ContainerSpecHash(c)
			if got := ContainerAnnotations(pod, c, tt.restart); !maps.Equal(got, want) {
				t.Errorf("annotations %v, want %v", got, want)
			}
		})
	}
}

func TestSelectorsMatchWhatTheAgentLabels(t *testing.T) {
	node, pod := testNode(), testPod()
	pod.Labels = map[string]string{ManagedByLabel: "someone-else", NodeLabel: "node2"}
	for what, labels := range map[string]map[string]string{
		"sandbox":   SandboxLabels(node, pod),
		"container": ContainerLabels(node, pod, "app", ContainerTypeApp),
	} {
		if !matches(labels, ManagedSelector(node.Name)) {
			t.Errorf("the managed selector misses the %s's labels %v", what, labels)
		}
		if !matches(labels, PodSelector(node.Name, pod.UID)) {
			t.Errorf("the pod selector misses the %s's labels %v", what, labels)
		}
		if matches(labels, ManagedSelector("node2")) || matches(labels, PodSelector(node.Name, "other-uid")) {
			t.Errorf("another node's or pod's selector matches the %s's labels %v", what, labels)
		}
	}
}

func matches(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
