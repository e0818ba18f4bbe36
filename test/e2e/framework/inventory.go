package framework

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// Inventory is everything of one agent's pods that exists on the host and
// in the runtime, plus the runtime-wide state its pods share (addresses,
// network namespaces). CheckInventory compares it with what the agent's
// manifests ask for; every fault test ends with it.
type Inventory struct {
	Sandboxes  []InventorySandbox
	Containers []InventoryContainer
	// PodDirs, LogDirs and Cgroups are pod UIDs: directories under the
	// agent's root and pod log dir, pod cgroups under its cgroup parent.
	PodDirs, LogDirs, Cgroups map[string]bool
	// Mounts are mount points under the agent's root directory.
	Mounts []string
	// Allocations are the runtime's host-local addresses, IP → sandbox.
	Allocations map[string]string
	// RuntimeSandboxes are every sandbox of the runtime, any agent's.
	RuntimeSandboxes map[string]bool
	// NetnsFiles are the runtime's network namespace files, and
	// NetnsInUse those a sandbox of the runtime uses.
	NetnsFiles, NetnsInUse map[string]bool
}

// InventorySandbox is one of the agent's sandboxes in the runtime.
type InventorySandbox struct {
	ID, PodUID, PodName string
	Ready               bool
}

// InventoryContainer is one of the agent's containers in the runtime.
type InventoryContainer struct {
	ID, SandboxID, PodUID, Name string
	Attempt                     int
	Running                     bool
}

// TakeInventory reads the runtime (through crictl) and the host.
func (a *Agent) TakeInventory(t testing.TB) *Inventory {
	t.Helper()
	inv := &Inventory{
		PodDirs: dirNames(filepath.Join(a.RootDir, "pods")),
		LogDirs: logDirUIDs(a.PodLogDir),
		Cgroups: podCgroups(a.CgroupParent),
		Mounts:  mountsUnder(a.RootDir),
	}
	var err error
	if inv.Sandboxes, inv.RuntimeSandboxes, err = a.Env.inventorySandboxes(a.NodeName); err == nil {
		inv.Containers, err = a.Env.inventoryContainers(a.NodeName)
	}
	if err == nil {
		inv.Allocations, err = a.Env.allocations()
	}
	if err == nil {
		inv.NetnsFiles, inv.NetnsInUse, err = a.Env.netnsInventory(inv.RuntimeSandboxes)
	}
	if err != nil {
		t.Fatalf("taking the inventory of node %s: %v", a.NodeName, err)
	}
	return inv
}

// Problems compares the inventory with the pods the agent wants (by UID,
// with their containers' names): one ready sandbox per pod and nothing
// else, a running instance of every container and at most one exited one
// kept beside it, and no file, mount, cgroup, address or network
// namespace of a pod that is not wanted.
func (inv *Inventory) Problems(want map[string][]string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	ready := map[string]int{}
	ours := map[string]bool{}
	for _, sb := range inv.Sandboxes {
		ours[sb.ID] = true
		switch _, wanted := want[sb.PodUID]; {
		case !wanted:
			add("sandbox %s of pod %s (%s) is not wanted", short(sb.ID), sb.PodName, sb.PodUID)
		case !sb.Ready:
			add("pod %s keeps a not-ready sandbox %s", sb.PodName, short(sb.ID))
		default:
			ready[sb.PodUID]++
		}
	}
	for uid, names := range want {
		if ready[uid] != 1 {
			add("pod %s has %d ready sandboxes, want 1", uid, ready[uid])
		}
		problems = append(problems, inv.containerProblems(uid, names)...)
	}
	for uid := range inv.PodDirs {
		if _, ok := want[uid]; !ok {
			add("pod directory of %s is left", uid)
		}
	}
	for uid := range inv.LogDirs {
		if _, ok := want[uid]; !ok {
			add("log directory of %s is left", uid)
		}
	}
	for uid := range inv.Cgroups {
		if _, ok := want[uid]; !ok {
			add("pod cgroup of %s is left", uid)
		}
	}
	for _, m := range inv.Mounts {
		if uid := podUIDInPath(m); uid == "" || want[uid] == nil {
			add("mount %s is left", m)
		}
	}
	for ip, owner := range inv.Allocations {
		if !inv.RuntimeSandboxes[owner] {
			add("address %s is held for sandbox %s, which the runtime does not have", ip, short(owner))
		}
	}
	for file := range inv.NetnsFiles {
		if !inv.NetnsInUse[file] {
			add("network namespace %s is used by no sandbox", file)
		}
	}
	sort.Strings(problems)
	return problems
}

// containerProblems checks one wanted pod's containers.
func (inv *Inventory) containerProblems(uid string, names []string) []string {
	var problems []string
	running, exited := map[string]int{}, map[string]int{}
	for _, c := range inv.Containers {
		if c.PodUID != uid {
			continue
		}
		if c.Running {
			running[c.Name]++
		} else {
			exited[c.Name]++
		}
	}
	for _, name := range names {
		if running[name] != 1 {
			problems = append(problems, fmt.Sprintf("pod %s container %s has %d running instances, want 1", uid, name, running[name]))
		}
		if exited[name] > 1 {
			problems = append(problems, fmt.Sprintf("pod %s container %s keeps %d exited instances, want at most 1", uid, name, exited[name]))
		}
	}
	return problems
}

// RestartCounts maps "pod/container" to its restart count, as the agent
// reports it, for checking that a fault restarted nothing.
func (a *Agent) RestartCounts(t testing.TB) map[string]int32 {
	t.Helper()
	pods, err := a.Pods()
	if err != nil {
		t.Fatalf("listing pods: %v", err)
	}
	counts := map[string]int32{}
	for _, p := range pods {
		for _, c := range p.Status.ContainerStatuses {
			counts[p.Name+"/"+c.Name] = c.RestartCount
		}
	}
	return counts
}

// WantedPods is what the agent's manifests ask for now, by UID with the
// containers' names, read from its API (pods not terminating). A pod
// waiting for a maxPods slot (OutOfpods) is not wanted yet: the runtime
// must hold nothing of it.
func (a *Agent) WantedPods(t testing.TB) map[string][]string {
	t.Helper()
	pods, err := a.Pods()
	if err != nil {
		t.Fatalf("listing pods: %v", err)
	}
	want := map[string][]string{}
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.UID == "" || p.Status.Reason == "ManifestError" || p.Status.Reason == "OutOfpods" {
			continue
		}
		want[string(p.UID)] = containerNames(&p)
	}
	return want
}

// CheckInventory waits up to timeout for the inventory to match what the
// manifests ask for (the agent converges by itself), and fails the test
// with every remaining problem. It returns how long convergence took.
func (a *Agent) CheckInventory(t testing.TB, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var problems []string
	for {
		problems = a.TakeInventory(t).Problems(a.WantedPods(t))
		if len(problems) == 0 {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("node %s's inventory is not clean after %s:\n  %s\nagent log:\n%s",
		a.NodeName, timeout, strings.Join(problems, "\n  "), tail(a.Logs(), 40))
	return 0
}

func containerNames(p *v1.Pod) []string {
	names := make([]string, 0, len(p.Spec.Containers))
	for _, c := range p.Spec.Containers {
		names = append(names, c.Name)
	}
	return names
}

// crictlSandbox and crictlContainer are the fields of crictl's JSON that
// the inventory reads.
type crictlSandbox struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Metadata struct {
		Name string `json:"name"`
		UID  string `json:"uid"`
	} `json:"metadata"`
}

type crictlContainer struct {
	ID           string `json:"id"`
	PodSandboxID string `json:"podSandboxId"`
	State        string `json:"state"`
	Metadata     struct {
		Name    string `json:"name"`
		Attempt int    `json:"attempt"`
	} `json:"metadata"`
	Labels map[string]string `json:"labels"`
}

func (e *Env) inventorySandboxes(node string) ([]InventorySandbox, map[string]bool, error) {
	var all struct {
		Items []crictlSandbox `json:"items"`
	}
	if err := e.crictlJSON(&all, "pods", "-o", "json"); err != nil {
		return nil, nil, err
	}
	var ours struct {
		Items []crictlSandbox `json:"items"`
	}
	if err := e.crictlJSON(&ours, "pods", "-o", "json", "--label", "io.minikubelet.node="+node); err != nil {
		return nil, nil, err
	}
	runtime := map[string]bool{}
	for _, sb := range all.Items {
		runtime[sb.ID] = true
	}
	var sandboxes []InventorySandbox
	for _, sb := range ours.Items {
		sandboxes = append(sandboxes, InventorySandbox{ID: sb.ID, PodUID: sb.Metadata.UID, PodName: sb.Metadata.Name, Ready: sb.State == "SANDBOX_READY"})
	}
	return sandboxes, runtime, nil
}

func (e *Env) inventoryContainers(node string) ([]InventoryContainer, error) {
	var out struct {
		Containers []crictlContainer `json:"containers"`
	}
	if err := e.crictlJSON(&out, "ps", "-a", "-o", "json", "--label", "io.minikubelet.node="+node); err != nil {
		return nil, err
	}
	var containers []InventoryContainer
	for _, c := range out.Containers {
		containers = append(containers, InventoryContainer{
			ID: c.ID, SandboxID: c.PodSandboxID, PodUID: c.Labels["io.kubernetes.pod.uid"], Name: c.Metadata.Name,
			Attempt: c.Metadata.Attempt, Running: c.State == "CONTAINER_RUNNING",
		})
	}
	return containers, nil
}

func (e *Env) crictlJSON(into any, args ...string) error {
	stdout, stderr, err := e.runCrictl(args...)
	if err != nil {
		return fmt.Errorf("crictl %s: %v: %s", strings.Join(args, " "), err, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), into); err != nil {
		return fmt.Errorf("crictl %s: decoding: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Allocations reads the runtime's host-local reservations, IP → the
// sandbox that holds it, for tests that count addresses over time without
// a whole inventory.
func (e *Env) Allocations() (map[string]string, error) { return e.allocations() }

// allocations reads the runtime's host-local reservations: IP → owner.
func (e *Env) allocations() (map[string]string, error) {
	dataDir := e.CNIDataDir
	if dataDir == "" {
		dataDir = "/var/lib/cni/networks"
	}
	network := e.CNINetwork
	if network == "" {
		network = "minikubelet"
	}
	dir := filepath.Join(dataDir, network)
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	out := map[string]string{}
	for _, entry := range entries {
		if net.ParseIP(entry.Name()) == nil {
			continue // lock, last_reserved_ip.*
		}
		content, err := os.ReadFile(filepath.Join(dir, entry.Name()))
		if err != nil {
			continue // released while listed
		}
		owner, _, _ := strings.Cut(string(content), "\n")
		out[entry.Name()] = strings.TrimSpace(owner)
	}
	return out, nil
}

// netnsDirs remembers, per runtime endpoint, where the runtime keeps
// network namespace files, learned from its sandboxes: the runtimes differ
// (containerd under its state dir, CRI-O under its namespaces dir), and a
// runtime with no sandbox right now says nothing.
var netnsDirs sync.Map // endpoint → map[string]bool

// netnsInventory returns the network namespace files in the runtime's
// netns directories and those its sandboxes use.
func (e *Env) netnsInventory(sandboxes map[string]bool) (files, inUse map[string]bool, err error) {
	dirsAny, _ := netnsDirs.LoadOrStore(e.RuntimeEndpoint, &sync.Map{})
	dirs := dirsAny.(*sync.Map)
	inUse = map[string]bool{}
	for id := range sandboxes {
		path, err := e.sandboxNetns(id)
		if err != nil || path == "" {
			continue // removed meanwhile, or on the host network
		}
		inUse[path] = true
		dirs.Store(filepath.Dir(path), true)
	}
	files = map[string]bool{}
	dirs.Range(func(dir, _ any) bool {
		entries, _ := os.ReadDir(dir.(string))
		for _, e := range entries {
			files[filepath.Join(dir.(string), e.Name())] = true
		}
		return true
	})
	return files, inUse, nil
}

// sandboxNetns reads the path of a sandbox's network namespace from
// crictl inspectp (containerd and CRI-O both report the runtime spec).
func (e *Env) sandboxNetns(id string) (string, error) {
	var out struct {
		Info struct {
			RuntimeSpec struct {
				Linux struct {
					Namespaces []struct {
						Type string `json:"type"`
						Path string `json:"path"`
					} `json:"namespaces"`
				} `json:"linux"`
			} `json:"runtimeSpec"`
		} `json:"info"`
	}
	if err := e.crictlJSON(&out, "inspectp", id); err != nil {
		return "", err
	}
	for _, ns := range out.Info.RuntimeSpec.Linux.Namespaces {
		if ns.Type == "network" {
			return ns.Path, nil
		}
	}
	return "", nil
}

// dirNames lists the directories in dir.
func dirNames(dir string) map[string]bool {
	names := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			names[e.Name()] = true
		}
	}
	return names
}

// logDirUIDs lists the pod UIDs of the <ns>_<name>_<uid> directories.
func logDirUIDs(dir string) map[string]bool {
	uids := map[string]bool{}
	for name := range dirNames(dir) {
		if i := strings.LastIndexByte(name, '_'); i >= 0 {
			uids[name[i+1:]] = true
		}
	}
	return uids
}

// mountsUnder lists the mount points below dir, from /proc/self/mountinfo.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var mounts []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			mounts = append(mounts, fields[4])
		}
	}
	return mounts
}

// podUIDInPath finds the UID in <root>/pods/<uid>/...
func podUIDInPath(path string) string {
	_, rest, ok := strings.Cut(path, "/pods/")
	if !ok {
		return ""
	}
	uid, _, _ := strings.Cut(rest, "/")
	return uid
}

func short(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}
