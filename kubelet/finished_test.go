package kubelet

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// A cluster pod that finished keeps its stopped containers (and so its
// logs) while the API server has it, is not run again by a restarted
// agent, and goes entirely once it is deleted.
func TestFinishedClusterPodIsKeptNotRerunThenRemoved(t *testing.T) {
	rt := newFakeRuntime()
	pod := testPod(v1.RestartPolicyNever, nil, "a")
	first, stopFirst := runKubelet(t, rt, nil)
	first.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { return runs(first, "web") })
	rt.exit("a", 0)
	eventually(t, "Succeeded", func() bool { phase, _ := viewPhase(first, "web"); return phase == v1.PodSucceeded })
	// The status reached the API server, which now hands the pod over as
	// finished.
	first.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod, Finished: v1.PodSucceeded}}})
	eventually(t, "sandbox stopped", func() bool { return len(sandboxedPods(rt)) == 0 })
	time.Sleep(100 * time.Millisecond)
	if s, c := rt.count(""); s != 1 || c != 1 {
		t.Fatalf("%d sandboxes and %d containers left of a finished pod: want its stopped sandbox and container kept", s, c)
	}
	stopFirst()

	second := startKubelet(t, rt) // a restarted agent, same runtime
	second.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod, Finished: v1.PodSucceeded}}})
	eventually(t, "Succeeded after the restart", func() bool { phase, _ := viewPhase(second, "web"); return phase == v1.PodSucceeded })
	time.Sleep(200 * time.Millisecond)
	if n := rt.callCount("RunPodSandbox"); n != 1 {
		t.Fatalf("%d sandboxes made: the restarted agent ran the finished pod again", n)
	}
	if n := rt.callCount("StartContainer"); n != 1 {
		t.Fatalf("%d container starts: the restarted agent ran the finished pod again", n)
	}

	second.SetSourcePods(SourceUpdate{Source: SourceAPI}) // deleted in the API server
	eventually(t, "sandbox and container removed", func() bool {
		s, c := rt.count("")
		_, found := second.GetPod("default", "web")
		return s == 0 && c == 0 && !found
	})
}

// A pod the API server shows finished is never started, whatever its
// restart policy, even when the runtime holds nothing of it (rejected
// before it ran, as OutOfpods), and it takes no maxPods slot.
func TestFinishedClusterPodNeverStarts(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubeletWith(t, rt, withMaxPods(1))
	done := namedPod("done", v1.RestartPolicyAlways)
	done.Finished = v1.PodFailed
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{done, namedPod("next", v1.RestartPolicyAlways)}})
	eventually(t, "the other pod running", func() bool { return runs(k, "next") })
	time.Sleep(200 * time.Millisecond)
	if got := sandboxedPods(rt); len(got) != 1 || got[0] != "next" {
		t.Fatalf("sandboxes of %v: want only next's, a finished pod starts nothing", got)
	}
}

// A finished pod's volumes are not refreshed: nothing of it runs, and a
// token would be requested for a pod that is over.
func TestFinishedPodVolumesAreNotRefreshed(t *testing.T) {
	k, err := New(Config{Runtime: newFakeRuntime(), Images: newFakeRuntime(), NodeName: "n"})
	if err != nil {
		t.Fatal(err)
	}
	withConfigMap := func(name string) DesiredPod {
		p := namedPod(name, v1.RestartPolicyNever)
		p.Pod.Spec.Volumes = []v1.Volume{{Name: "cm", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "c"}}}}}
		return p
	}
	running, done := withConfigMap("running"), withConfigMap("done")
	done.Finished = v1.PodSucceeded
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{running, done}})
	pods := k.podsWithRefreshableVolumes()
	if len(pods) != 1 || pods[0].Name != "running" {
		var names []string
		for _, p := range pods {
			names = append(names, p.Name)
		}
		t.Errorf("volumes refreshed for %v: want only running's", names)
	}
}
