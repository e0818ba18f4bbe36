package kubelet

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// CRI-O refuses CreateContainer without the image name the user wrote
// ("user specified image not specified, cannot verify image signature");
// containerd ignores the field. kubelet sends it, and so must we.
func TestCreateContainerNamesTheUserSpecifiedImage(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod, File: "/m/web.yaml"}}})
	eventually(t, "pod Running", func() bool {
		phase, _ := viewPhase(k, "web")
		return phase == v1.PodRunning
	})
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for id, c := range rt.containers {
		if got, want := c.GetImage().GetUserSpecifiedImage(), pod.Spec.Containers[0].Image; got != want {
			t.Errorf("container %s created with UserSpecifiedImage %q, want the pod's image %q", id, got, want)
		}
	}
}

// In a crash loop the newest instance has died and its predecessor is
// already removed; --previous must then read the newest dead instance, the
// one the status shows as the last termination, as the kubelet does. How
// soon a restarted instance dies relative to a client's read depends on
// the runtime's timing (it showed first with CRI-O and containerd 2.4).
func TestPreviousLogIsTheLastTerminationTheStatusShows(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a")}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

	rt.exit("a", 1)
	eventually(t, "restarted once", func() bool {
		_, p := viewPhase(k, "web")
		return p.Status.ContainerStatuses[0].RestartCount == 1 && p.Status.ContainerStatuses[0].State.Running != nil
	})
	if got, err := k.LookupContainer("default", "web", "a"); err != nil || !strings.HasSuffix(got.PreviousLogPath, "/a/0.log") {
		t.Errorf("after one restart: PreviousLogPath %q (err %v), want a/0.log", got.PreviousLogPath, err)
	}

	rt.exit("a", 1)
	eventually(t, "CrashLoopBackOff after the second crash", func() bool {
		_, p := viewPhase(k, "web")
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == ReasonCrashLoopBackOff
	})
	got, err := k.LookupContainer("default", "web", "a")
	if err != nil || !strings.HasSuffix(got.PreviousLogPath, "/a/1.log") {
		t.Errorf("in CrashLoopBackOff: PreviousLogPath %q (err %v), want a/1.log, the instance the status shows as last terminated", got.PreviousLogPath, err)
	}
}

// CRI-O puts each container's conmon in the pod's cgroup. With a pod limit
// equal to the containers' limits, a container reaching its limit makes
// the pod cgroup run out first and the OOM killer takes conmon as well;
// CRI-O then never learns the container exited. The pod limit gets room
// for the monitor on CRI-O, and none elsewhere.
func TestPodMemoryLimitLeavesRoomForCRIOsMonitor(t *testing.T) {
	for _, tc := range []struct {
		runtime string
		want    int64
	}{
		{"containerd", 64 << 20},
		{"cri-o", 64<<20 + 16<<20}, // conmon's room
	} {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "memory"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "memory", "cgroup.procs"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		k := &Kubelet{cfg: Config{RuntimeName: tc.runtime, CgroupRoot: root, CgroupParent: "/minikubelet"}}
		pod := testPod(v1.RestartPolicyAlways, nil, "a")
		pod.Spec.Containers[0].Resources.Limits = v1.ResourceList{v1.ResourceMemory: resource.MustParse("64Mi")}
		if err := k.ensurePodCgroup(pod); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(root, "memory", "/minikubelet/pod"+string(pod.UID), "memory.limit_in_bytes"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(data)); got != strconv.FormatInt(tc.want, 10) {
			t.Errorf("%s: pod memory.limit_in_bytes = %s, want %d", tc.runtime, got, tc.want)
		}
	}
}
