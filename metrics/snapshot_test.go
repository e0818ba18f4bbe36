package metrics

import (
	"math"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func (f *fakeRuntime) lists() runtimeLists {
	return runtimeLists{containers: f.containers, sandboxes: f.sandboxes,
		containerStats: f.containerStats, podStats: f.podStats, images: f.images}
}

func containerByName(t *testing.T, cs []containerSample, pod, name string) containerSample {
	t.Helper()
	for _, c := range cs {
		if c.pod == pod && c.name == name {
			return c
		}
	}
	t.Fatalf("no sample for container %s/%s in %+v", pod, name, cs)
	return containerSample{}
}

func podByName(t *testing.T, ps []podSample, name string) podSample {
	t.Helper()
	for _, p := range ps {
		if p.name == name {
			return p
		}
	}
	t.Fatalf("no sample for pod %s in %+v", name, ps)
	return podSample{}
}

func TestPodFiguresAreSummedFromContainersWhenRuntimeGivesNone(t *testing.T) {
	f := &fakeRuntime{}
	f.addPod("default", "web", "app", "sidecar", "proxy") // 1+2+3 CPU s, 1+2+3 MiB
	f.containerStats[2].Cpu.Timestamp = statsAt.Add(time.Second).UnixNano()

	_, pods := buildSamples(f.lists())
	web := podByName(t, pods, "web")
	if !web.cpu.ok || web.cpu.value != 6 {
		t.Errorf("pod CPU = %+v, want the containers' sum 6 s", web.cpu)
	}
	if !web.workingSet.ok || web.workingSet.value != 6<<20 {
		t.Errorf("pod working set = %+v, want the containers' sum 6 MiB", web.workingSet)
	}
	if want := statsAt.Add(time.Second); !web.cpu.at.Equal(want) {
		t.Errorf("pod CPU stamped %v, want the newest container time %v", web.cpu.at, want)
	}
}

func TestPodFiguresComeFromRuntimeWhenItGivesThem(t *testing.T) {
	f := &fakeRuntime{}
	f.addPod("default", "web", "app")
	f.podStats = []*runtimeapi.PodSandboxStats{{
		Attributes: &runtimeapi.PodSandboxAttributes{Id: "sb-default-web"},
		Linux: &runtimeapi.LinuxPodSandboxStats{
			Cpu:    &runtimeapi.CpuUsage{Timestamp: statsAt.UnixNano(), UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: 7_500_000_000}},
			Memory: &runtimeapi.MemoryUsage{Timestamp: statsAt.UnixNano(), WorkingSetBytes: &runtimeapi.UInt64Value{Value: 9000}},
			Network: &runtimeapi.NetworkUsage{Timestamp: statsAt.UnixNano(), Interfaces: []*runtimeapi.NetworkInterfaceUsage{
				{Name: "eth0", RxBytes: &runtimeapi.UInt64Value{Value: 100}, TxBytes: &runtimeapi.UInt64Value{Value: 200}},
			}},
		},
	}}

	_, pods := buildSamples(f.lists())
	web := podByName(t, pods, "web")
	if web.cpu.value != 7.5 || web.workingSet.value != 9000 {
		t.Errorf("pod CPU/memory = %v/%v, want the runtime's 7.5/9000", web.cpu.value, web.workingSet.value)
	}
	if len(web.interfaces) != 1 || web.interfaces[0].rx.value != 100 || web.interfaces[0].tx.value != 200 {
		t.Errorf("pod interfaces = %+v, want eth0 rx 100 tx 200", web.interfaces)
	}
}

func TestOnlyRunningContainersOfReadyPodsCount(t *testing.T) {
	f := &fakeRuntime{}
	f.addPod("default", "web", "app", "done")
	f.addPod("default", "gone", "app")
	f.containers[1].State = runtimeapi.ContainerState_CONTAINER_EXITED
	f.sandboxes[1].State = runtimeapi.PodSandboxState_SANDBOX_NOTREADY

	containers, pods := buildSamples(f.lists())
	if len(containers) != 1 || containers[0].name != "app" || containers[0].pod != "web" {
		t.Errorf("containers = %+v, want only web/app", containers)
	}
	if len(pods) != 1 || pods[0].name != "web" || pods[0].cpu.value != 1 {
		t.Errorf("pods = %+v, want only web with the running container's 1 s of CPU", pods)
	}
}

func TestNamesFallBackToMetadataWithoutKubeletLabels(t *testing.T) {
	f := &fakeRuntime{}
	f.addPod("kube-system", "dns", "coredns")
	f.containers[0].Labels = nil
	f.sandboxes[0].Labels = nil

	containers, pods := buildSamples(f.lists())
	c := containers[0]
	if c.name != "coredns" || c.pod != "dns" || c.namespace != "kube-system" {
		t.Errorf("container labelled %s/%s/%s, want kube-system/dns/coredns from CRI metadata", c.namespace, c.pod, c.name)
	}
	if pods[0].name != "dns" || pods[0].namespace != "kube-system" {
		t.Errorf("pod labelled %s/%s, want kube-system/dns", pods[0].namespace, pods[0].name)
	}
}

func TestContainerSampleFigures(t *testing.T) {
	f := &fakeRuntime{}
	f.addPod("default", "web", "app", "sidecar")

	containers, _ := buildSamples(f.lists())
	c := containerByName(t, containers, "web", "sidecar")
	if c.cpu.value != 2 || c.workingSet.value != 2<<20 || c.usage.value != 4<<20 || c.rss.value != 1<<20 || c.fsUsed.value != 8192 {
		t.Errorf("sidecar figures = cpu %v ws %v usage %v rss %v fs %v", c.cpu.value, c.workingSet.value, c.usage.value, c.rss.value, c.fsUsed.value)
	}
	if want := float64(statsAt.Add(-30 * time.Second).Unix()); math.Abs(c.startTime-want) > 1e-6 {
		t.Errorf("start time = %v, want %v", c.startTime, want)
	}
	if !c.cpu.at.Equal(statsAt) || c.fsDevice != "/var/lib/containerd/overlay" {
		t.Errorf("cpu stamped %v on device %q", c.cpu.at, c.fsDevice)
	}
}

func TestContainerWithoutStatsKeepsStartTimeOnly(t *testing.T) {
	f := &fakeRuntime{}
	f.addPod("default", "web", "app")
	f.containerStats = nil

	containers, pods := buildSamples(f.lists())
	if c := containers[0]; c.startTime == 0 || c.cpu.ok || c.workingSet.ok {
		t.Errorf("container without stats = %+v, want start time and no figures", c)
	}
	if pods[0].cpu.ok || pods[0].workingSet.ok {
		t.Errorf("pod whose containers have no stats has figures %+v", pods[0])
	}
}

func TestDuplicatePodsAndContainersKeepTheNewest(t *testing.T) {
	f := &fakeRuntime{}
	f.addPod("default", "web", "app")
	f.addPod("default", "web", "app") // a recreated pod: same names, new sandbox
	f.sandboxes[1].Id = "sb-new"
	f.sandboxes[1].CreatedAt++
	f.containers[1].Id = "c-new"
	f.containers[1].PodSandboxId = "sb-new"
	f.containerStats[1].Attributes.Id = "c-new"
	// A second running "app" in the new sandbox, older than c-new.
	f.containers = append(f.containers, &runtimeapi.Container{Id: "c-old", PodSandboxId: "sb-new",
		State: runtimeapi.ContainerState_CONTAINER_RUNNING, CreatedAt: 1,
		Labels: map[string]string{labelContainerName: "app", labelPodName: "web", labelPodNamespace: "default"}})

	containers, pods := buildSamples(f.lists())
	if len(pods) != 1 || pods[0].sandboxID != "sb-new" {
		t.Errorf("pods = %+v, want only the newest sandbox sb-new", pods)
	}
	if len(containers) != 1 || containers[0].id != "c-new" {
		t.Errorf("containers = %+v, want only c-new", containers)
	}
}

func TestImageNamesPreferTagsOverIDs(t *testing.T) {
	byID := imageNamesByID([]*runtimeapi.Image{
		{Id: "sha256:aaa", RepoTags: []string{"docker.io/library/nginx:1.27"}, RepoDigests: []string{"docker.io/library/nginx@sha256:ddd"}},
		{Id: "sha256:untagged"},
	})
	for _, tc := range []struct {
		name string
		c    *runtimeapi.Container
		want string
	}{
		{"user's own words first", &runtimeapi.Container{Image: &runtimeapi.ImageSpec{Image: "sha256:aaa", UserSpecifiedImage: "nginx:1.27"}, ImageRef: "sha256:aaa"}, "nginx:1.27"},
		{"runtime's name when it is one", &runtimeapi.Container{Image: &runtimeapi.ImageSpec{Image: "nginx:latest"}, ImageRef: "sha256:aaa"}, "nginx:latest"},
		{"bare hex is an ID", &runtimeapi.Container{Image: &runtimeapi.ImageSpec{Image: strings.Repeat("ab", 32)}, ImageRef: "sha256:aaa"}, "docker.io/library/nginx:1.27"},
		{"tag of the image ID", &runtimeapi.Container{Image: &runtimeapi.ImageSpec{Image: "sha256:aaa"}, ImageRef: "sha256:aaa"}, "docker.io/library/nginx:1.27"},
		{"tag of the digest", &runtimeapi.Container{ImageRef: "docker.io/library/nginx@sha256:ddd"}, "docker.io/library/nginx:1.27"},
		{"untagged keeps the ID", &runtimeapi.Container{Image: &runtimeapi.ImageSpec{Image: "sha256:untagged"}}, "sha256:untagged"},
		{"no spec uses the ref", &runtimeapi.Container{ImageRef: "sha256:zzz"}, "sha256:zzz"},
	} {
		if got := imageName(tc.c, byID); got != tc.want {
			t.Errorf("%s: imageName = %q, want %q", tc.name, got, tc.want)
		}
	}
}
