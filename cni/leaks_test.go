package cni

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// leakFixture is a manager on temp directories with fake plugins.
type leakFixture struct {
	manager   *Manager
	exec      *fakeExec
	sandboxes *fakeSandboxes
	cacheDir  string
	allocDir  string // host-local's directory for our network
	released  int
	logs      *testutil.SyncBuffer
}

func newLeakFixture(t testing.TB, live ...string) *leakFixture {
	t.Helper()
	root := t.TempDir()
	logger, logs := newTestLogger(t)
	f := &leakFixture{
		sandboxes: &fakeSandboxes{ids: live},
		cacheDir:  filepath.Join(root, "cache"),
		allocDir:  filepath.Join(root, "networks", NetworkName),
		logs:      logs,
	}
	f.exec = newFakeExec(f.allocDir)
	cfg := Config{
		ConfDir:        filepath.Join(root, "net.d"),
		DataDir:        filepath.Join(root, "networks"),
		CacheDir:       f.cacheDir,
		Logger:         logger,
		OnLeakReleased: func() { f.released++ },
	}
	manager, err := newManager(cfg, f.sandboxes, deps{
		exec:  f.exec,
		hosts: func(network) []hostSetup { return nil },
		now:   time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.manager = manager
	return f
}

func (f *leakFixture) allocation(ip string) string { return filepath.Join(f.allocDir, ip) }

func (f *leakFixture) cacheEntry(network, containerID string) string {
	return filepath.Join(f.cacheDir, "results", network+"-"+containerID+"-eth0")
}

func TestReleasesCachedAttachmentOfGoneSandboxWithCNIDel(t *testing.T) {
	f := newLeakFixture(t, "live1")
	old := 2 * DefaultLeakGrace
	writeAllocation(t, f.allocDir, "10.88.0.5", "gone1", old)
	writeCacheEntry(t, f.cacheDir, NetworkName, "gone1", "10.88.0.5", f.manager.conflist, old)
	writeAllocation(t, f.allocDir, "10.88.0.6", "live1", old)
	writeCacheEntry(t, f.cacheDir, NetworkName, "live1", "10.88.0.6", f.manager.conflist, old)

	released, err := f.manager.ReleaseLeaks(context.Background())
	if err != nil || released != 1 || f.released != 1 {
		t.Fatalf("released %d (hook %d), err %v; want 1", released, f.released, err)
	}
	if exists(f.allocation("10.88.0.5")) || exists(f.cacheEntry(NetworkName, "gone1")) {
		t.Error("gone sandbox's address or cache entry still there")
	}
	if !exists(f.allocation("10.88.0.6")) || !exists(f.cacheEntry(NetworkName, "live1")) {
		t.Error("live sandbox's address was released")
	}
	dels := f.exec.callsOf("DEL")
	// DEL runs the chain in reverse: portmap, then bridge (which releases the IP).
	if len(dels) != 2 || dels[0].plugin != "portmap" || dels[1].plugin != "bridge" {
		t.Fatalf("DEL calls %+v", dels)
	}
	for _, del := range dels {
		// The cached /var/run/netns/cni-gone1 is no namespace here, so DEL
		// goes without one, as for a namespace that is gone.
		if del.containerID != "gone1" || del.ifName != "eth0" || del.netns != "" {
			t.Errorf("DEL with wrong runtime config: %+v", del)
		}
	}
	if f.logs.Count("released leaked pod address") != 1 {
		t.Errorf("want one log line per release:\n%s", f.logs)
	}
}

func TestDelUsesCachedConfigNotCurrentOne(t *testing.T) {
	f := newLeakFixture(t)
	// Allocated under an older config that also chained bandwidth.
	_, oldConflist := render(t, Config{Bandwidth: true, DataDir: filepath.Dir(f.allocDir)})
	writeCacheEntry(t, f.cacheDir, NetworkName, "gone1", "10.88.0.5", oldConflist, time.Hour)
	if _, err := f.manager.ReleaseLeaks(context.Background()); err != nil {
		t.Fatal(err)
	}
	dels := f.exec.callsOf("DEL")
	if len(dels) != 3 || dels[0].plugin != "bandwidth" {
		t.Fatalf("DEL should run the cached chain (bandwidth, portmap, bridge): %+v", dels)
	}
}

func TestOrphanAllocationWithoutCacheIsRemoved(t *testing.T) {
	f := newLeakFixture(t, "live1")
	writeAllocation(t, f.allocDir, "10.88.0.7", "gone2", time.Hour)
	writeAllocation(t, f.allocDir, "10.88.0.8", "live1", time.Hour)

	released, err := f.manager.ReleaseLeaks(context.Background())
	if err != nil || released != 1 {
		t.Fatalf("released %d err %v", released, err)
	}
	if exists(f.allocation("10.88.0.7")) {
		t.Error("orphan allocation still there")
	}
	if !exists(f.allocation("10.88.0.8")) {
		t.Error("live sandbox's allocation removed")
	}
	if len(f.exec.callsOf("DEL")) != 0 {
		t.Error("no cache entry: DEL must not be guessed")
	}
	if f.logs.Count("host-local file without CNI cache entry") != 1 {
		t.Errorf("fallback not logged:\n%s", f.logs)
	}
}

func TestNeverReleasesLiveSandboxInAnyState(t *testing.T) {
	// fakeSandboxes reports every sandbox NotReady: it still owns its IP.
	f := newLeakFixture(t, "notready1", "notready2")
	writeAllocation(t, f.allocDir, "10.88.0.9", "notready1", time.Hour)
	writeCacheEntry(t, f.cacheDir, NetworkName, "notready1", "10.88.0.9", f.manager.conflist, time.Hour)
	writeAllocation(t, f.allocDir, "10.88.0.10", "notready2", time.Hour)

	released, err := f.manager.ReleaseLeaks(context.Background())
	if err != nil || released != 0 || f.released != 0 {
		t.Fatalf("released %d err %v", released, err)
	}
	if !exists(f.allocation("10.88.0.9")) || !exists(f.allocation("10.88.0.10")) || len(f.exec.callsOf("DEL")) != 0 {
		t.Fatal("a live sandbox's address was touched")
	}
}

func TestSandboxListedAfterScanProtectsAllocation(t *testing.T) {
	f := newLeakFixture(t)
	writeAllocation(t, f.allocDir, "10.88.0.11", "starting", time.Hour)
	writeCacheEntry(t, f.cacheDir, NetworkName, "starting", "10.88.0.11", f.manager.conflist, time.Hour)
	// RunPodSandbox finishes between the scan and the list.
	f.sandboxes.beforeList = func() {
		f.sandboxes.mu.Lock()
		f.sandboxes.ids = append(f.sandboxes.ids, "starting")
		f.sandboxes.mu.Unlock()
	}
	if released, err := f.manager.ReleaseLeaks(context.Background()); err != nil || released != 0 {
		t.Fatalf("released %d err %v", released, err)
	}
	if !exists(f.allocation("10.88.0.11")) {
		t.Fatal("allocation of a sandbox that appeared during the sweep was released")
	}
}

func TestYoungAllocationIsLeftForRunPodSandboxInFlight(t *testing.T) {
	// containerd lists a sandbox only after CNI ADD; a fresh allocation with
	// no live sandbox may be one being set up right now.
	f := newLeakFixture(t)
	writeAllocation(t, f.allocDir, "10.88.0.12", "adding", time.Second)
	writeCacheEntry(t, f.cacheDir, NetworkName, "adding", "10.88.0.12", f.manager.conflist, time.Second)
	if released, err := f.manager.ReleaseLeaks(context.Background()); err != nil || released != 0 {
		t.Fatalf("released %d err %v", released, err)
	}
	if !exists(f.allocation("10.88.0.12")) {
		t.Fatal("young allocation released")
	}
}

func TestOtherNetworksAreNeverTouched(t *testing.T) {
	f := newLeakFixture(t)
	otherAlloc := filepath.Join(filepath.Dir(f.allocDir), "other-net")
	writeAllocation(t, otherAlloc, "10.99.0.5", "gone3", time.Hour)
	writeCacheEntry(t, f.cacheDir, "other-net", "gone3", "10.99.0.5", []byte(`{"cniVersion":"1.0.0","name":"other-net","plugins":[{"type":"bridge"}]}`), time.Hour)

	if released, err := f.manager.ReleaseLeaks(context.Background()); err != nil || released != 0 {
		t.Fatalf("released %d err %v", released, err)
	}
	if !exists(filepath.Join(otherAlloc, "10.99.0.5")) || !exists(f.cacheEntry("other-net", "gone3")) {
		t.Fatal("another network's state was touched")
	}
	if len(f.exec.callsOf("DEL")) != 0 {
		t.Fatal("DEL ran for another network")
	}
	if f.sandboxes.lists != 0 {
		t.Error("nothing of ours to check, yet the runtime was asked")
	}
}

// Runtimes side by side on one host share libcni's cache and may share
// host-local's data dir; only the entries of our bridge and data dir, and
// allocations in our pod CIDR, are ours to release.
func TestAnotherRuntimesAddressesAreNeverReleased(t *testing.T) {
	f := newLeakFixture(t)
	otherBridge, _ := render(t, Config{BridgeName: "mkbr1", PodCIDR: "10.86.0.0/16", DataDir: filepath.Dir(f.allocDir)})
	otherDataDir, _ := render(t, Config{DataDir: t.TempDir()})
	for id, list := range map[string]*libcni.NetworkConfigList{"bridge1": otherBridge, "datadir1": otherDataDir} {
		writeCacheEntry(t, f.cacheDir, NetworkName, id, "10.86.0.5", list.Bytes, time.Hour)
	}
	writeCacheEntry(t, f.cacheDir, NetworkName, "garbled", "10.86.0.6", []byte("{not json"), time.Hour)
	writeAllocation(t, f.allocDir, "10.86.0.7", "other-runtime", time.Hour)

	if released, err := f.manager.ReleaseLeaks(context.Background()); err != nil || released != 0 {
		t.Fatalf("released %d err %v", released, err)
	}
	for _, id := range []string{"bridge1", "datadir1", "garbled"} {
		if !exists(f.cacheEntry(NetworkName, id)) {
			t.Errorf("another runtime's cache entry %s was released", id)
		}
	}
	if !exists(f.allocation("10.86.0.7")) || len(f.exec.callsOf("DEL")) != 0 {
		t.Error("another runtime's address was touched")
	}
	if f.sandboxes.lists != 0 {
		t.Error("nothing of ours to check, yet the runtime was asked")
	}
}

func TestOwnerMatchesBridgeAndDataDir(t *testing.T) {
	_, podCIDR, _ := net.ParseCIDR("10.88.0.0/16")
	owner := networkOwner{bridge: "mkbr0", podCIDR: podCIDR}
	conf := func(bridge, dataDir string) []byte {
		return []byte(`{"plugins":[{"type":"bridge","bridge":"` + bridge + `","ipam":{"type":"host-local","dataDir":"` + dataDir + `"}},{"type":"portmap"}]}`)
	}
	for _, tc := range []struct {
		name string
		conf []byte
		want bool
	}{
		{"same bridge, default data dir", conf("mkbr0", ""), true},
		{"default data dir spelt out", conf("mkbr0", DefaultHostLocalDataDir+"/"), true},
		{"other bridge", conf("mkbr1", ""), false},
		{"other data dir", conf("mkbr0", "/tmp/node-b"), false},
		{"no bridge plugin", []byte(`{"plugins":[{"type":"ptp"}]}`), false},
		{"not JSON", []byte("{"), false},
	} {
		if got := owner.ownsConfig(tc.conf); got != tc.want {
			t.Errorf("%s: ownsConfig = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !owner.ownsIP("10.88.3.4") || owner.ownsIP("10.86.0.4") || owner.ownsIP("lock") {
		t.Error("ownsIP must accept only addresses inside the pod CIDR")
	}
}

func TestListFailureReleasesNothing(t *testing.T) {
	f := newLeakFixture(t)
	f.sandboxes.err = errors.New("runtime down")
	writeAllocation(t, f.allocDir, "10.88.0.13", "unknown", time.Hour)
	_, err := f.manager.ReleaseLeaks(context.Background())
	if err == nil || !exists(f.allocation("10.88.0.13")) {
		t.Fatalf("err %v; allocation must stay when the runtime cannot be asked", err)
	}
}

func TestHostLocalReleaseRechecksOwnerUnderLock(t *testing.T) {
	dir := t.TempDir()
	store := hostLocalStore{dir: dir}
	writeAllocation(t, dir, "10.88.0.14", "new-owner", 0)
	// The address was reassigned after the scan that judged "old-owner" gone.
	if released, err := store.release("10.88.0.14", "old-owner"); err != nil || released {
		t.Fatalf("released %v err %v", released, err)
	}
	if !exists(filepath.Join(dir, "10.88.0.14")) {
		t.Fatal("reassigned address removed")
	}
}

func TestParseAllocationFormats(t *testing.T) {
	for content, want := range map[string][2]string{
		"abc\r\neth0": {"abc", "eth0"},
		"abc\neth1":   {"abc", "eth1"},
		"abc":         {"abc", ""},
	} {
		id, ifName := parseAllocation(content)
		if id != want[0] || ifName != want[1] {
			t.Errorf("parseAllocation(%q) = %q %q", content, id, ifName)
		}
	}
}

func TestPlanReleases(t *testing.T) {
	now := time.Now()
	old, young := now.Add(-time.Hour), now.Add(-time.Second)
	att := func(id string, at time.Time) cachedAttachment {
		return cachedAttachment{NetworkAttachment: &libcni.NetworkAttachment{ContainerID: id, IfName: "eth0", Network: NetworkName}, modTime: at, owned: true}
	}
	alloc := func(ip, id string, at time.Time) allocation {
		return allocation{ip: ip, containerID: id, ifName: "eth0", modTime: at}
	}
	theirs := att("theirs", old) // another runtime's entry, gone from ours
	theirs.owned = false
	plan := planReleases(
		[]cachedAttachment{att("gone", old), att("live", old), att("young", young), theirs},
		[]allocation{alloc("10.0.0.1", "gone", old), alloc("10.0.0.2", "live", old), alloc("10.0.0.3", "orphan", old),
			alloc("10.0.0.4", "orphan-young", young), alloc("10.0.0.5", "", old), alloc("10.0.0.6", "theirs", old)},
		map[string]bool{"live": true}, now, time.Minute)
	if len(plan.attachments) != 1 || plan.attachments[0].ContainerID != "gone" {
		t.Errorf("attachments %+v", plan.attachments)
	}
	// "gone"'s allocation is released by its DEL, not removed a second time;
	// "theirs" has a cache entry, so its allocation is not an orphan either.
	if len(plan.orphans) != 1 || plan.orphans[0].containerID != "orphan" {
		t.Errorf("orphans %+v", plan.orphans)
	}
}

// A release that fails the same way pass after pass (a sandbox's network
// namespace the agent cannot reach) is logged once, not every check; an
// absent runtime is not logged as a failure at all (the CRI client says
// that once); a new failure is logged again.
func TestLeakReleaseFailureIsLoggedOncePerFailure(t *testing.T) {
	f := newLeakFixture(t)
	writeAllocation(t, f.allocDir, "10.88.0.13", "unknown", time.Hour)
	f.sandboxes.err = errors.New("netns: unknown FS magic")
	for range 5 {
		f.manager.releaseLeaks(context.Background())
	}
	f.sandboxes.err = status.Error(codes.Unavailable, "connection refused")
	for range 5 {
		f.manager.releaseLeaks(context.Background())
	}
	f.sandboxes.err = errors.New("another failure")
	f.manager.releaseLeaks(context.Background())
	var failures []string
	for _, line := range strings.Split(f.logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
			failures = append(failures, line)
		}
	}
	if len(failures) != 2 || !strings.Contains(failures[0], "unknown FS magic") || !strings.Contains(failures[1], "another failure") {
		t.Fatalf("want one line per distinct failure, and none for the absent runtime, got:\n%s", strings.Join(failures, "\n"))
	}
}

// countingCache counts the reads of libcni's whole result cache.
type countingCache struct {
	attachmentCache
	reads int
}

func (c *countingCache) GetCachedAttachments(containerID string) ([]*libcni.NetworkAttachment, error) {
	c.reads++
	return c.attachmentCache.GetCachedAttachments(containerID)
}

// A sweep at rest reads no cache entry again, yet a sandbox that vanished
// without CNI DEL (no file changes) still has its address released, and a
// new entry is read at the next sweep.
func TestSweepAtRestReadsNothingYetReleasesAVanishedSandbox(t *testing.T) {
	f := newLeakFixture(t, "a", "b")
	old := 2 * DefaultLeakGrace
	for i, id := range []string{"a", "b"} {
		ip := "10.88.0." + string(rune('5'+i))
		writeAllocation(t, f.allocDir, ip, id, old)
		writeCacheEntry(t, f.cacheDir, NetworkName, id, ip, f.manager.conflist, old)
	}
	cache := &countingCache{attachmentCache: f.manager.leaks.cache}
	f.manager.leaks.cache = cache
	sweep := func() int {
		t.Helper()
		released, err := f.manager.ReleaseLeaks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return released
	}

	if n := sweep(); n != 0 || cache.reads != 1 {
		t.Fatalf("first sweep released %d, read the cache %d times; want 0 and 1", n, cache.reads)
	}
	if n := sweep(); n != 0 || cache.reads != 1 {
		t.Fatalf("sweep at rest released %d, read the cache %d times in all; want 0 and still 1", n, cache.reads)
	}
	f.sandboxes.mu.Lock()
	f.sandboxes.ids = []string{"a"} // b's sandbox vanished; no file changed
	f.sandboxes.mu.Unlock()
	if n := sweep(); n != 1 || exists(f.allocation("10.88.0.6")) {
		t.Fatalf("released %d, want b's address (10.88.0.6) released", n)
	}
	writeAllocation(t, f.allocDir, "10.88.0.7", "c", old)
	writeCacheEntry(t, f.cacheDir, NetworkName, "c", "10.88.0.7", f.manager.conflist, old)
	if n := sweep(); n != 1 || exists(f.allocation("10.88.0.7")) {
		t.Fatalf("released %d, want the new entry of gone sandbox c released", n)
	}
	if !exists(f.allocation("10.88.0.5")) {
		t.Fatal("live sandbox a lost its address")
	}
}
