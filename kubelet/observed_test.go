package kubelet

import (
	"reflect"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// What a restarted agent reads back from the runtime is what it wrote as
// labels and annotations (translate.ContainerLabels, ContainerAnnotations).
func TestObservedFromContainerStatusReadsWhatTheAgentRecorded(t *testing.T) {
	created, started, finished := time.Unix(100, 0), time.Unix(101, 0), time.Unix(160, 0)
	status := &runtimeapi.ContainerStatus{
		Id: "c1", State: runtimeapi.ContainerState_CONTAINER_EXITED, ExitCode: 137, Reason: "OOMKilled", Message: "killed",
		CreatedAt: created.UnixNano(), StartedAt: started.UnixNano(), FinishedAt: finished.UnixNano(),
		Image: &runtimeapi.ImageSpec{Image: "img:1"}, ImageRef: "sha256:abc", LogPath: "/var/log/pods/x/a/3.log",
		Labels: map[string]string{translate.ContainerNameLabel: "a", translate.ContainerTypeLabel: "init"},
		Annotations: map[string]string{translate.ContainerRestartCountAnnotation: "3", translate.ContainerHashAnnotation: "beef",
			translate.PodTerminationGraceAnnotation: "45"},
	}
	want := observedContainer{ID: "c1", SandboxID: "s1", Name: "a", Type: translate.ContainerTypeInit, Image: "img:1", ImageRef: "sha256:abc",
		State: runtimeapi.ContainerState_CONTAINER_EXITED, RestartCount: 3, Hash: "beef", CreatedAt: created, StartedAt: started,
		FinishedAt: finished, ExitCode: 137, Reason: "OOMKilled", Message: "killed", LogPath: "/var/log/pods/x/a/3.log", GracePeriod: 45}
	if got := observedFromContainerStatus(status, "s1"); !reflect.DeepEqual(got, want) {
		t.Errorf("observed\n %+v\nwant\n %+v", got, want)
	}

	// A container another tool labelled, or an older agent: no counts, no
	// times, the grace floor.
	bare := observedFromContainerStatus(&runtimeapi.ContainerStatus{Id: "c2", Annotations: map[string]string{translate.ContainerRestartCountAnnotation: "x"}}, "s1")
	if bare.RestartCount != 0 || !bare.StartedAt.IsZero() || bare.GracePeriod != translate.MinGracePeriodSeconds {
		t.Errorf("bare container observed as %+v", bare)
	}
}

func TestObservedPodOrderAndRestartCounts(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	obs := &observedPod{
		Sandboxes: []observedSandbox{{ID: "old", Attempt: 0, CreatedAt: at(1)}, {ID: "new-twin", Attempt: 1, CreatedAt: at(3)},
			{ID: "twin", Attempt: 1, CreatedAt: at(2)}},
		Containers: []observedContainer{{ID: "a0", Name: "a", RestartCount: 0, CreatedAt: at(1)}, {ID: "b4", Name: "b", RestartCount: 4, CreatedAt: at(2)},
			{ID: "a2", Name: "a", RestartCount: 2, CreatedAt: at(3), SandboxID: "new-twin"}, {ID: "a2-later", Name: "a", RestartCount: 2, CreatedAt: at(4)}},
	}
	obs.sortNewestFirst()
	var sandboxes, containers []string
	for _, s := range obs.Sandboxes {
		sandboxes = append(sandboxes, s.ID)
	}
	for _, c := range obs.Containers {
		containers = append(containers, c.ID)
	}
	if want := []string{"new-twin", "twin", "old"}; !reflect.DeepEqual(sandboxes, want) {
		t.Errorf("sandboxes %v, want the highest attempt first, then the newest: %v", sandboxes, want)
	}
	if want := []string{"b4", "a2-later", "a2", "a0"}; !reflect.DeepEqual(containers, want) {
		t.Errorf("containers %v, want the highest restart count first, then the newest: %v", containers, want)
	}
	if obs.currentSandbox().ID != "new-twin" {
		t.Errorf("current sandbox %s, want new-twin", obs.currentSandbox().ID)
	}
	if c := obs.latest("a", "new-twin"); c == nil || c.ID != "a2" {
		t.Errorf("latest a in new-twin: %+v, want a2", c)
	}
	for name, want := range map[string]int{"a": 3, "b": 5, "never-ran": 0} {
		if got := obs.nextRestartCount(name); got != want {
			t.Errorf("nextRestartCount(%s) = %d, want %d", name, got, want)
		}
	}
}

func TestSandboxIPs(t *testing.T) {
	status := &runtimeapi.PodSandboxStatus{Network: &runtimeapi.PodSandboxNetworkStatus{Ip: "10.88.0.5",
		AdditionalIps: []*runtimeapi.PodIP{{Ip: "fd00::5"}, {Ip: ""}}}}
	if got := sandboxIPs(status); !reflect.DeepEqual(got, []string{"10.88.0.5", "fd00::5"}) {
		t.Errorf("IPs %v, want the primary then the additional ones", got)
	}
	if got := sandboxIPs(&runtimeapi.PodSandboxStatus{}); got != nil {
		t.Errorf("a host-network sandbox's IPs: %v, want none", got)
	}
}
