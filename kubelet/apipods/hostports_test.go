package apipods

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func withHostPort(ip string, protocol v1.Protocol, port int32) func(*v1.Pod) {
	return func(p *v1.Pod) {
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, v1.ContainerPort{ContainerPort: 8080, HostIP: ip, Protocol: protocol, HostPort: port})
	}
}

func TestHostPortConflicts(t *testing.T) {
	held := apiPod("held", withHostPort("", "", 8080))
	heldOnIP := apiPod("held", withHostPort("10.0.0.5", v1.ProtocolTCP, 9090))
	tests := []struct {
		name   string
		held   *v1.Pod
		change func(*v1.Pod)
		want   bool
	}{
		{"no host port", held, nil, false},
		{"container port only", held, func(p *v1.Pod) { p.Spec.Containers[0].Ports = []v1.ContainerPort{{ContainerPort: 8080}} }, false},
		{"same port, defaults", held, withHostPort("", "", 8080), true},
		{"same port, TCP spelled out on every address", held, withHostPort("0.0.0.0", v1.ProtocolTCP, 8080), true},
		{"same port, UDP", held, withHostPort("", v1.ProtocolUDP, 8080), false},
		{"other port", held, withHostPort("", "", 8081), false},
		{"one address against every address", held, withHostPort("10.0.0.5", v1.ProtocolTCP, 8080), true},
		{"every address against one address", heldOnIP, withHostPort("", "", 9090), true},
		{"same address", heldOnIP, withHostPort("10.0.0.5", "", 9090), true},
		{"another address", heldOnIP, withHostPort("10.0.0.6", "", 9090), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var used hostPorts
			used.add(tt.held)
			if got := used.conflict(apiPod("new", tt.change)); got != tt.want {
				t.Errorf("conflict = %v, want %v", got, tt.want)
			}
		})
	}
}

// Of the pods asking for one host port, the one the node runs already, a
// static pod, or else the oldest keeps it; the others are refused with
// the kubelet's NodePorts.
func TestDesiredRefusesATakenHostPort(t *testing.T) {
	at := func(sec int64) func(*v1.Pod) {
		return func(p *v1.Pod) { p.CreationTimestamp = metav1.NewTime(time.Unix(sec, 0)) }
	}
	both := func(fs ...func(*v1.Pod)) func(*v1.Pod) {
		return func(p *v1.Pod) {
			for _, f := range fs {
				f(p)
			}
		}
	}
	port := withHostPort("", "", 8080)
	older, newer := apiPod("older", both(port, at(1))), apiPod("newer", both(port, at(2)))
	got := desired([]*v1.Pod{newer, older}, nil, nil, nil)
	if len(got.Pods) != 1 || got.Pods[0].Pod.Name != "older" || got.Refused["newer-uid"].Reason != ReasonNodePorts ||
		got.Refused["newer-uid"].Message != "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" {
		t.Errorf("run %d pods, refused %v: want older run, newer refused with NodePorts", len(got.Pods), got.Refused)
	}
	// The newer one runs already (an agent restart: it has a startTime):
	// it keeps its port, and the older new one is refused.
	started := apiPod("newer", both(port, at(2), func(p *v1.Pod) { p.Status.StartTime = &metav1.Time{} }))
	got = desired([]*v1.Pod{older, started}, nil, nil, nil)
	if len(got.Pods) != 1 || got.Pods[0].Pod.Name != "newer" || got.Refused["older-uid"].Reason != ReasonNodePorts {
		t.Errorf("run %d pods, refused %v: want the running one kept, older refused", len(got.Pods), got.Refused)
	}
	// A static pod of the node holds it.
	static := apiPod("static", port)
	got = desired([]*v1.Pod{older}, nil, nil, []*v1.Pod{static})
	if len(got.Pods) != 0 || got.Refused["older-uid"].Reason != ReasonNodePorts {
		t.Errorf("run %d pods, refused %v: want older refused, a static pod holds the port", len(got.Pods), got.Refused)
	}
	// A finished pod holds no port (its containers are stopped), and is
	// not refused on it: it stays, finished, beside the new one.
	done := apiPod("done", both(port, at(0), func(p *v1.Pod) { p.Status.Phase, p.Status.StartTime = v1.PodSucceeded, &metav1.Time{} }))
	got = desired([]*v1.Pod{done, newer}, nil, nil, nil)
	if len(got.Pods) != 2 || len(got.Refused) != 0 {
		t.Errorf("run %d pods, refused %v: want the finished pod kept and the new one run", len(got.Pods), got.Refused)
	}
	// Admitted in an earlier round: kept, whatever came since.
	got = desired([]*v1.Pod{older, newer}, map[types.UID]*v1.Pod{"newer-uid": newer}, nil, nil)
	if len(got.Pods) != 1 || got.Pods[0].Pod.Name != "newer" {
		t.Errorf("run %v: want newer, admitted before, kept", got.Pods)
	}
}
