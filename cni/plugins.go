package cni

// The plugins the pod network needs are checked at start (Setup) and again
// on every check: one removed from the bin directory since (a package
// upgrade half done, a wrong cleanup) makes the runtime fail every new
// sandbox, and the agent says so once, and once more when it is back,
// rather than per pod.

// PluginsReady returns a *PluginNotFoundError naming the first plugin of
// the pod network missing from the bin directories, or nil. It looks now,
// so a plugin put back counts at once. The agent asks it before giving a
// pod a sandbox, and shows its error as NetworkNotReady.
func (m *Manager) PluginsReady() error {
	for _, binary := range m.plugins {
		if _, err := m.finder.FindInPath(binary, m.cfg.BinDirs); err != nil {
			return &PluginNotFoundError{Plugin: binary, Dirs: m.cfg.BinDirs}
		}
	}
	return nil
}

// checkPlugins logs a plugin going missing, and all of them back, once
// per change. Callers hold m.mu.
func (m *Manager) checkPlugins() {
	err := m.PluginsReady()
	switch {
	case err != nil && !m.pluginMissing:
		m.cfg.Logger.Warn("a CNI plugin of the pod network is missing; running pods keep running, new pods wait for it", "error", err)
	case err == nil && m.pluginMissing:
		m.cfg.Logger.Info("the CNI plugins of the pod network are back", "dirs", m.cfg.BinDirs)
	}
	m.pluginMissing = err != nil
}
