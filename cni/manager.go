package cni

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/version"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// hostSetup is one piece of host state outside the conflist that the
// manager keeps in place (masquerade rules, peer routes).
type hostSetup interface {
	name() string
	ensure(ctx context.Context) (changed bool, err error)
}

// Manager owns the node's pod network: the conflist the runtime executes,
// the host rules and routes around it, and the release of leaked addresses.
type Manager struct {
	cfg      Config
	network  network
	confPath string
	conflist []byte
	cni      *libcni.CNIConfig
	finder   pluginFinder
	hosts    []hostSetup
	bridge   bridgeLinks
	leaks    *leakCollector

	mu            sync.Mutex // serialises checks and sweeps
	warnedEarlier map[string]bool
	// leakErr is the last failure of the leak release that was logged:
	// the same failure, pass after pass, is logged once.
	leakErr string
	// plugins are the binaries the conflist runs; pluginMissing is set
	// while one is gone (plugins.go).
	plugins       []string
	pluginMissing bool
	// refusedPeers are the learnt peers last refused, with why (SetPeers).
	refusedPeers map[string]bool
}

// deps are the manager's outside effects; tests swap them for fakes.
type deps struct {
	exec   invoke.Exec
	hosts  func(nw network) []hostSetup
	bridge bridgeLinks
	now    func() time.Time
}

// New validates cfg, fills its defaults and renders the conflist. Nothing is
// written until Setup or Run. sandboxes lets the leak collector tell live
// sandboxes from gone ones.
func New(cfg Config, sandboxes SandboxLister) (*Manager, error) {
	bridge := cfg.withDefaults().BridgeName
	return newManager(cfg, sandboxes, deps{
		exec: &invoke.DefaultExec{RawExec: &invoke.RawExec{}, PluginDecoder: version.PluginDecoder{}},
		hosts: func(nw network) []hostSetup {
			return []hostSetup{
				newMasquerade(execRunner{}, bridge, nw.podCIDR, nw.clusterCIDR),
				&peerRoutes{table: netlinkTable{}, family: familyOf(nw.podCIDR), peers: nw.peers},
			}
		},
		bridge: netlinkBridge{},
		now:    time.Now,
	})
}

func newManager(cfg Config, sandboxes SandboxLister, d deps) (*Manager, error) {
	if sandboxes == nil {
		return nil, fmt.Errorf("cni: a SandboxLister is required to tell live sandboxes from leaked addresses")
	}
	cfg = cfg.withDefaults()
	if err := CheckBridgeName(cfg.BridgeName); err != nil {
		return nil, err
	}
	nw, err := cfg.parseNetwork()
	if err != nil {
		return nil, err
	}
	conflist, err := renderConflist(cfg, nw)
	if err != nil {
		return nil, err
	}
	current, err := libcni.NetworkConfFromBytes(conflist)
	if err != nil {
		return nil, fmt.Errorf("parsing rendered CNI conflist: %w", err)
	}
	cniConfig := libcni.NewCNIConfigWithCacheDir(cfg.BinDirs, cfg.CacheDir, d.exec)
	return &Manager{
		cfg:      cfg,
		network:  nw,
		confPath: filepath.Join(cfg.ConfDir, ConfFileName),
		conflist: conflist,
		cni:      cniConfig,
		finder:   d.exec,
		hosts:    d.hosts(nw),
		bridge:   d.bridge,
		leaks: &leakCollector{
			cache:      cniConfig,
			cacheDir:   cfg.CacheDir,
			store:      newHostLocalStore(cfg.DataDir),
			owner:      newNetworkOwner(cfg, nw),
			current:    current,
			sandboxes:  sandboxes,
			grace:      cfg.LeakGrace,
			criTimeout: cfg.CRITimeout,
			now:        d.now,
			logger:     cfg.Logger,
			onReleased: cfg.OnLeakReleased,
		},
		warnedEarlier: map[string]bool{},
		plugins:       pluginBinaries(current),
	}, nil
}

// SetPeers replaces the peers learnt from the cluster's Nodes (the --peer
// ones stay) and installs their routes at once; the periodic check keeps
// them. Peers that are not safe to route (usablePeers) are left out and
// logged. A route that cannot be installed is an error, retried by the
// check.
func (m *Manager) SetPeers(ctx context.Context, peers []Peer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	peers, refused := usablePeers(peers, m.network.peers, m.network.podCIDR, m.network.clusterCIDR)
	logged := make(map[string]bool, len(refused))
	for _, why := range refused {
		if !m.refusedPeers[why] { // once while it stands, not at every change of the Nodes
			m.cfg.Logger.Warn("not routing a node's pods", "peer", why)
		}
		logged[why] = true
	}
	m.refusedPeers = logged
	for _, host := range m.hosts {
		routes, ok := host.(*peerRoutes)
		if !ok {
			continue
		}
		routes.learnt = peers
		changed, err := routes.ensure(ctx)
		if changed {
			m.cfg.Logger.Info("routes to other nodes' pods changed", "peers", len(routes.peers)+len(peers))
		}
		return err
	}
	return nil
}

// ConfPath is the file the manager writes and keeps in place.
func (m *Manager) ConfPath() string { return m.confPath }

// Conflist returns a copy of the rendered conflist.
func (m *Manager) Conflist() []byte { return append([]byte(nil), m.conflist...) }

// Setup validates the plugins, writes the conflist, installs the host rules
// and routes, and releases leaked addresses once. A missing or incompatible
// plugin is an error, checked before anything is written so the runtime never
// loads a config it cannot execute.
func (m *Manager) Setup(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	validateCtx, cancel := context.WithTimeout(ctx, pluginTimeout)
	_, err := validateConflist(validateCtx, m.cni, m.finder, m.cfg.BinDirs, m.conflist)
	cancel()
	if err != nil {
		return err
	}
	if err := m.readdressBridge(); err != nil {
		return err
	}
	change, err := ensureConfFile(m.confPath, m.conflist)
	if err != nil {
		return err
	}
	if change != confUnchanged {
		m.cfg.Logger.Info("wrote CNI config", "path", m.confPath, "was", string(change), "podCIDR", m.cfg.PodCIDR)
	}
	m.warnAboutEarlierConfigs()
	for _, host := range m.hosts {
		changed, err := host.ensure(ctx)
		if err != nil {
			return fmt.Errorf("installing %s: %w", host.name(), err)
		}
		if changed {
			m.cfg.Logger.Info("installed "+host.name(), "podCIDR", m.network.podCIDR, "clusterCIDR", m.network.clusterCIDR)
		}
	}
	m.releaseLeaks(ctx)
	return nil
}

// readdressBridge gives an unused bridge that still carries an earlier pod
// CIDR's gateway the current one, before the runtime's next ADD fails on it.
func (m *Manager) readdressBridge() error {
	changed, err := ensureBridgeAddress(m.bridge, m.cfg.BridgeName, m.network.podCIDR)
	if changed {
		m.cfg.Logger.Info("re-addressed the pod bridge for the new pod CIDR", "bridge", m.cfg.BridgeName,
			"podCIDR", m.network.podCIDR, "address", gatewayOf(m.network.podCIDR))
	}
	return err
}

// Run calls Setup, then every CheckInterval repairs the conflist and host
// state and releases leaked addresses, until ctx ends. It returns Setup's
// error, or nil once ctx is done.
func (m *Manager) Run(ctx context.Context) error {
	if err := m.Setup(ctx); err != nil {
		return err
	}
	ticker := time.NewTicker(m.cfg.CheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			m.check(ctx)
		}
	}
}

// check is one periodic pass; failures are logged and retried next pass.
func (m *Manager) check(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.repairConfFile()
	m.warnAboutEarlierConfigs()
	m.checkPlugins()
	for _, host := range m.hosts {
		changed, err := host.ensure(ctx)
		if err != nil {
			m.cfg.Logger.Error("checking "+host.name()+" failed", "error", err)
		} else if changed {
			m.cfg.Logger.Warn("repaired "+host.name(), "podCIDR", m.cfg.PodCIDR)
		}
	}
	m.releaseLeaks(ctx)
}

// repairConfFile rewrites our conflist when it was deleted or changed.
func (m *Manager) repairConfFile() {
	change, err := ensureConfFile(m.confPath, m.conflist)
	if err != nil {
		m.cfg.Logger.Error("checking CNI config failed", "path", m.confPath, "error", err)
		return
	}
	if change == confUnchanged {
		return
	}
	m.cfg.Logger.Warn("repaired CNI config", "path", m.confPath, "was", string(change))
	if m.cfg.OnRepair != nil {
		m.cfg.OnRepair()
	}
}

// warnAboutEarlierConfigs warns once per file that shadows ours: the
// runtime uses the first config in name order, not ours.
func (m *Manager) warnAboutEarlierConfigs() {
	earlier, err := configsBefore(m.cfg.ConfDir, ConfFileName)
	if err != nil {
		m.cfg.Logger.Error("checking for CNI configs that shadow ours failed", "error", err)
		return
	}
	for _, name := range earlier {
		if m.warnedEarlier[name] {
			continue
		}
		m.warnedEarlier[name] = true
		m.cfg.Logger.Warn("another CNI config sorts before ours; the runtime will use it instead",
			"file", filepath.Join(m.cfg.ConfDir, name), "ours", m.confPath,
			"fix", "remove or rename it so it sorts after "+ConfFileName)
	}
}

// ReleaseLeaks releases, once, addresses of our network held by sandboxes
// the runtime no longer has, and returns how many it released. Run already
// does this every CheckInterval; the agent may call it after removing pods.
func (m *Manager) ReleaseLeaks(ctx context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leaks.collect(ctx)
}

func (m *Manager) releaseLeaks(ctx context.Context) {
	_, err := m.leaks.collect(ctx)
	switch {
	case err == nil:
		m.leakErr = ""
	case status.Code(err) == codes.Unavailable:
		// The runtime is away; the agent says so once, and the next pass
		// after it is back finds the leaks.
		m.cfg.Logger.Debug("not releasing leaked pod addresses while the runtime is away", "error", err)
	case err.Error() == m.leakErr:
		m.cfg.Logger.Debug("releasing leaked pod addresses failed again", "error", err)
	default:
		m.leakErr = err.Error()
		m.cfg.Logger.Error("releasing leaked pod addresses failed; retrying every check", "error", err, "interval", m.cfg.CheckInterval)
	}
}
