package kubelet

import (
	"math"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// The grace ceiling is the CRI client's longest timeout: a longer one
// would be cut by the client, and a shorter one would stop containers
// sooner than their spec says.
func TestGraceCeilingIsTheCRIClientsLongestTimeout(t *testing.T) {
	if translate.MaxGracePeriodSeconds != cri.MaxTimeoutSeconds {
		t.Fatalf("translate.MaxGracePeriodSeconds = %d, cri.MaxTimeoutSeconds = %d; keep them equal", translate.MaxGracePeriodSeconds, cri.MaxTimeoutSeconds)
	}
}

func TestParseGrace(t *testing.T) {
	tests := []struct {
		annotation string
		want       int64
	}{
		{"", translate.MinGracePeriodSeconds},
		{"junk", translate.MinGracePeriodSeconds},
		{"-3", translate.MinGracePeriodSeconds},
		{"30", 30},
		{"9223372036854775807", translate.MaxGracePeriodSeconds},  // recorded by an agent before the clamp
		{"99999999999999999999", translate.MinGracePeriodSeconds}, // not an int64
	}
	for _, tt := range tests {
		if got := parseGrace(map[string]string{translate.PodTerminationGraceAnnotation: tt.annotation}); got != tt.want {
			t.Errorf("parseGrace(%q) = %d, want %d", tt.annotation, got, tt.want)
		}
	}
}

// TestHugeGracePeriodsReachTheRuntimeClamped: whichever way a huge grace
// period arrives, the runtime is asked to stop the container with the
// ceiling, which it can turn into a Duration.
func TestHugeGracePeriodsReachTheRuntimeClamped(t *testing.T) {
	tests := []struct {
		name     string
		spec     int64
		deletion *int64
	}{
		{"spec max int64", math.MaxInt64, nil},
		{"spec 9223372036", 9223372036, nil},
		{"delete's gracePeriodSeconds 9223372036", 30, new(int64(9223372036))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newFakeRuntime()
			k := startKubelet(t, rt)
			pod := testPod(v1.RestartPolicyAlways, nil, "a")
			pod.Spec.TerminationGracePeriodSeconds = new(tt.spec)
			k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
			eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

			if tt.deletion != nil {
				k.SetDeletionGracePeriod(pod.UID, *tt.deletion)
			}
			k.SetSourcePods(SourceUpdate{Source: SourceFile})
			eventually(t, "removed", func() bool { s, c := rt.count(""); return s == 0 && c == 0 })
			rt.mu.Lock()
			defer rt.mu.Unlock()
			if len(rt.stopTimeouts) != 1 || rt.stopTimeouts[0] != translate.MaxGracePeriodSeconds {
				t.Fatalf("StopContainer grace periods %v, want [%d]", rt.stopTimeouts, int64(translate.MaxGracePeriodSeconds))
			}
		})
	}
}
