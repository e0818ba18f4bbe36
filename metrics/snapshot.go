package metrics

import (
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// sample is one measured value and when the runtime measured it; a zero
// at means the runtime gave no time. ok is false when there is no value.
type sample struct {
	value float64
	at    time.Time
	ok    bool
}

// containerSample is one running container's figures, joined with the
// names that label it.
type containerSample struct {
	id, sandboxID, name, pod, namespace, image string
	startTime                                  float64 // unix seconds; 0 when unknown
	cpu                                        sample  // core-seconds
	workingSet, usage, rss                     sample  // bytes
	fsUsed                                     sample  // bytes of the writable layer
	fsDevice                                   string
}

// podSample is one ready pod sandbox's figures.
type podSample struct {
	sandboxID, name, namespace string
	cpu, workingSet            sample
	interfaces                 []interfaceSample
}

// interfaceSample is one network interface in a pod's network namespace.
type interfaceSample struct {
	name   string
	rx, tx sample // cumulative bytes
}

// nodeSample is the node's own usage.
type nodeSample struct {
	cpu, workingSet sample
}

// snapshot is everything one scrape exports, fetched at most once per
// cache TTL and shared by the resource and cAdvisor endpoints. It is never
// modified after it is built.
type snapshot struct {
	fetchedAt  time.Time
	err        error // the runtime could not be read; node may still be set
	node       nodeSample
	containers []containerSample
	pods       []podSample
}

// runtimeLists are the raw CRI answers one fetch collects.
type runtimeLists struct {
	containers     []*runtimeapi.Container
	sandboxes      []*runtimeapi.PodSandbox
	containerStats []*runtimeapi.ContainerStats
	podStats       []*runtimeapi.PodSandboxStats // nil when the runtime gives none
	images         []*runtimeapi.Image           // nil when not listed
}

// buildSamples joins the CRI lists into per-container and per-pod samples.
// Only running containers in ready sandboxes count. Pod figures come from
// the runtime's pod stats when it gives them and are otherwise the sum of
// the pod's containers (containerd 1.6 and CRI-O on cgroup v1 give none).
func buildSamples(l runtimeLists) ([]containerSample, []podSample) {
	sandboxes := newestReadySandboxes(l.sandboxes)
	stats := make(map[string]*runtimeapi.ContainerStats, len(l.containerStats))
	for _, s := range l.containerStats {
		stats[s.GetAttributes().GetId()] = s
	}
	imageNames := imageNamesByID(l.images)

	// Keyed by sandbox and container name: two running containers of one
	// name would export the same series twice, which Prometheus rejects.
	newest := make(map[string]containerSample, len(l.containers))
	for _, c := range l.containers {
		sandbox, ok := sandboxes[c.GetPodSandboxId()]
		if !ok || c.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
			continue
		}
		cs := newContainerSample(c, sandbox, stats[c.GetId()], imageNames)
		key := cs.sandboxID + "/" + cs.name
		if old, dup := newest[key]; !dup || old.startTime < cs.startTime {
			newest[key] = cs
		}
	}
	containers := make([]containerSample, 0, len(newest))
	for _, cs := range newest {
		containers = append(containers, cs)
	}
	return containers, buildPodSamples(sandboxes, l.podStats, containers)
}

// newestReadySandboxes keeps, for each pod name and namespace, the newest
// ready sandbox: a pod being recreated can briefly have two, and both
// would export the same pod series.
func newestReadySandboxes(all []*runtimeapi.PodSandbox) map[string]*runtimeapi.PodSandbox {
	byPod := make(map[string]*runtimeapi.PodSandbox, len(all))
	for _, s := range all {
		if s.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
			continue
		}
		key := podNamespace(s) + "/" + podName(s)
		if old, dup := byPod[key]; !dup || old.GetCreatedAt() < s.GetCreatedAt() {
			byPod[key] = s
		}
	}
	byID := make(map[string]*runtimeapi.PodSandbox, len(byPod))
	for _, s := range byPod {
		byID[s.GetId()] = s
	}
	return byID
}

func newContainerSample(c *runtimeapi.Container, sandbox *runtimeapi.PodSandbox,
	stats *runtimeapi.ContainerStats, imageNames map[string]string) containerSample {
	cs := containerSample{
		id:        c.GetId(),
		sandboxID: c.GetPodSandboxId(),
		name:      firstNonEmpty(c.GetLabels()[labelContainerName], c.GetMetadata().GetName()),
		pod:       firstNonEmpty(c.GetLabels()[labelPodName], podName(sandbox)),
		namespace: firstNonEmpty(c.GetLabels()[labelPodNamespace], podNamespace(sandbox)),
		image:     imageName(c, imageNames),
	}
	if c.GetCreatedAt() > 0 {
		// The kubelet's CRI stats provider also reports creation time as
		// start time: ListContainers carries no start time.
		cs.startTime = float64(c.GetCreatedAt()) / float64(time.Second)
	}
	if stats == nil {
		return cs
	}
	cpu, mem, fs := stats.GetCpu(), stats.GetMemory(), stats.GetWritableLayer()
	cs.cpu = nanosSample(cpu.GetUsageCoreNanoSeconds(), cpu.GetTimestamp())
	cs.workingSet = uintSample(mem.GetWorkingSetBytes(), mem.GetTimestamp())
	cs.usage = uintSample(mem.GetUsageBytes(), mem.GetTimestamp())
	cs.rss = uintSample(mem.GetRssBytes(), mem.GetTimestamp())
	cs.fsUsed = uintSample(fs.GetUsedBytes(), fs.GetTimestamp())
	cs.fsDevice = fs.GetFsId().GetMountpoint()
	return cs
}

func buildPodSamples(sandboxes map[string]*runtimeapi.PodSandbox, podStats []*runtimeapi.PodSandboxStats,
	containers []containerSample) []podSample {
	statsByID := make(map[string]*runtimeapi.LinuxPodSandboxStats, len(podStats))
	for _, s := range podStats {
		if s.GetLinux() != nil {
			statsByID[s.GetAttributes().GetId()] = s.GetLinux()
		}
	}
	containersByPod := make(map[string][]containerSample, len(sandboxes))
	for _, c := range containers {
		containersByPod[c.sandboxID] = append(containersByPod[c.sandboxID], c)
	}

	pods := make([]podSample, 0, len(sandboxes))
	for id, s := range sandboxes {
		p := podSample{sandboxID: id, name: podName(s), namespace: podNamespace(s)}
		linux := statsByID[id]
		cpu, mem := linux.GetCpu(), linux.GetMemory()
		p.cpu = nanosSample(cpu.GetUsageCoreNanoSeconds(), cpu.GetTimestamp())
		p.workingSet = uintSample(mem.GetWorkingSetBytes(), mem.GetTimestamp())
		if !p.cpu.ok {
			p.cpu = sumSamples(containersByPod[id], func(c containerSample) sample { return c.cpu })
		}
		if !p.workingSet.ok {
			p.workingSet = sumSamples(containersByPod[id], func(c containerSample) sample { return c.workingSet })
		}
		p.interfaces = interfaceSamples(linux.GetNetwork())
		pods = append(pods, p)
	}
	return pods
}

// sumSamples adds up one figure of a pod's containers. The sum is stamped
// with the newest of their times, and exists only if at least one
// container has the figure.
func sumSamples(containers []containerSample, figure func(containerSample) sample) sample {
	var sum sample
	for _, c := range containers {
		s := figure(c)
		if !s.ok {
			continue
		}
		sum.ok = true
		sum.value += s.value
		if s.at.After(sum.at) {
			sum.at = s.at
		}
	}
	return sum
}

func interfaceSamples(n *runtimeapi.NetworkUsage) []interfaceSample {
	ifaces := n.GetInterfaces()
	if len(ifaces) == 0 && n.GetDefaultInterface() != nil {
		ifaces = []*runtimeapi.NetworkInterfaceUsage{n.GetDefaultInterface()}
	}
	out := make([]interfaceSample, 0, len(ifaces))
	for _, i := range ifaces {
		out = append(out, interfaceSample{
			name: i.GetName(),
			rx:   uintSample(i.GetRxBytes(), n.GetTimestamp()),
			tx:   uintSample(i.GetTxBytes(), n.GetTimestamp()),
		})
	}
	return out
}

// imageNamesByID maps every image ID and digest to the image's first tag.
func imageNamesByID(images []*runtimeapi.Image) map[string]string {
	names := make(map[string]string, len(images))
	for _, img := range images {
		if len(img.GetRepoTags()) == 0 {
			continue
		}
		names[img.GetId()] = img.GetRepoTags()[0]
		for _, d := range img.GetRepoDigests() {
			names[d] = img.GetRepoTags()[0]
		}
	}
	return names
}

// imageName prefers what the user wrote, then the runtime's name for the
// image unless that is an image ID (containerd may give either), then a tag
// of the image the runtime refers to, and the ID as a last resort.
func imageName(c *runtimeapi.Container, byID map[string]string) string {
	if n := c.GetImage().GetUserSpecifiedImage(); n != "" {
		return n
	}
	if n := c.GetImage().GetImage(); n != "" && !isImageID(n) {
		return n
	}
	for _, ref := range []string{c.GetImageRef(), c.GetImageId(), c.GetImage().GetImage()} {
		if n, ok := byID[ref]; ok {
			return n
		}
	}
	return firstNonEmpty(c.GetImage().GetImage(), c.GetImageRef())
}

// isImageID reports an image ID ("sha256:..." or a bare 64-digit hex
// digest) rather than a name.
func isImageID(s string) bool {
	if strings.HasPrefix(s, "sha256:") {
		return true
	}
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func nanosSample(v *runtimeapi.UInt64Value, timestampNanos int64) sample {
	if v == nil {
		return sample{}
	}
	return sample{value: float64(v.GetValue()) / float64(time.Second), at: nanosTime(timestampNanos), ok: true}
}

func uintSample(v *runtimeapi.UInt64Value, timestampNanos int64) sample {
	if v == nil {
		return sample{}
	}
	return sample{value: float64(v.GetValue()), at: nanosTime(timestampNanos), ok: true}
}

func nanosTime(n int64) time.Time {
	if n <= 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func podName(s *runtimeapi.PodSandbox) string {
	return firstNonEmpty(s.GetLabels()[labelPodName], s.GetMetadata().GetName())
}

func podNamespace(s *runtimeapi.PodSandbox) string {
	return firstNonEmpty(s.GetLabels()[labelPodNamespace], s.GetMetadata().GetNamespace())
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
