package containerdconfig

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// Render returns the config.toml for c, in c.Format, or an error naming
// the field that is wrong and how to fix it.
func Render(c Config) ([]byte, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("containerd config: %w", err)
	}
	if c.TTRPCAddress == "" {
		c.TTRPCAddress = c.GRPCAddress + ".ttrpc"
	}
	tmpl := formatV2Template
	if c.Format == FormatV3 {
		tmpl = formatV3Template
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, templateData{Config: c, UnusedSnapshotters: UnusedSnapshotters}); err != nil {
		return nil, fmt.Errorf("rendering the containerd config: %w", err)
	}
	return buf.Bytes(), nil
}

type templateData struct {
	Config
	UnusedSnapshotters []string
}

// newTemplate parses one format's template; quote is its string style.
func newTemplate(name string, quote func(string) string, text string) *template.Template {
	return template.Must(template.New(name).Funcs(template.FuncMap{
		"q":       quote,
		"qs":      func(values []string) string { return stringArray(quote, values) },
		"comment": commentLines,
	}).Parse(text))
}

// commentLines writes each line as a TOML comment, without trailing blanks.
func commentLines(lines []string) string {
	var b strings.Builder
	for _, line := range lines {
		b.WriteString(strings.TrimRight("# "+line, " \t"))
		b.WriteByte('\n')
	}
	return b.String()
}

// The comments below say why each setting is there; both formats carry
// the same ones, so keep them alike.

// formatV2Template is containerd 1.6/1.7's format, whose CRI settings all
// live in the io.containerd.grpc.v1.cri plugin.
var formatV2Template = newTemplate("version 2", basicString, `{{comment .Comment}}version = 2
root = {{q .Root}}
state = {{q .State}}
{{- if .DisableUnusedSnapshotters}}
# Snapshotters this machine cannot use only add errors to the log.
disabled_plugins = {{qs .UnusedSnapshotters}}
{{- end}}

[grpc]
  address = {{q .GRPCAddress}}

[ttrpc]
  address = {{q .TTRPCAddress}}
{{- if .OptDir}}

[plugins."io.containerd.internal.v1.opt"]
  path = {{q .OptDir}}
{{- end}}
{{- if .DisableNRI}}

# NRI's default socket is shared by every containerd on the host; 1.6 has
# no NRI and ignores this section.
[plugins."io.containerd.nri.v1.nri"]
  disable = true
{{- end}}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = {{q .SandboxImage}}
{{- if .RestrictOOMScoreAdj}}
  # Where processes lack CAP_SYS_RESOURCE, a negative oom_score_adj makes
  # runc fail with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
{{- end}}
{{- if .NetNSUnderState}}
  # Keeps pod network namespaces under our state dir, not /run/netns.
  netns_mounts_under_state_dir = true
{{- end}}
{{- if .StreamServerAddress}}
  stream_server_address = {{q .StreamServerAddress}}
{{- end}}
{{- if .StreamServerPort}}
  stream_server_port = {{q .StreamServerPort}}
{{- end}}

  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
{{- if .ShimRuntimePath}}
      runtime_path = {{q .ShimRuntimePath}}
{{- end}}

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
{{- if .RuncRoot}}
        # Our own runc root, so teardown finds leftovers of this runtime only.
        Root = {{q .RuncRoot}}
{{- end}}
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = {{q (index .CNIBinDirs 0)}}
    conf_dir = {{q .CNIConfDir}}
    max_conf_num = 1
{{- if .RegistryConfigDir}}

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = {{q .RegistryConfigDir}}
{{- end}}
`)

// formatV3Template is containerd 2.x's native format: images and runtime
// settings in their own CRI plugins, the streaming server in the old one.
var formatV3Template = newTemplate("version 3", literalString, `{{comment .Comment}}# Format version 3 (2.0's); 2.4 migrates it to 4 in memory at start.
version = 3
root = {{q .Root}}
state = {{q .State}}
{{- if .DisableUnusedSnapshotters}}
# Snapshotters this machine cannot use only add errors to the log.
disabled_plugins = {{qs .UnusedSnapshotters}}
{{- end}}

[grpc]
  address = {{q .GRPCAddress}}

[ttrpc]
  address = {{q .TTRPCAddress}}

[plugins]
{{- if .OptDir}}
  [plugins.'io.containerd.internal.v1.opt']
    path = {{q .OptDir}}
{{- end}}
{{- if .DisableNRI}}

  # NRI's default socket is shared by every containerd on the host.
  [plugins.'io.containerd.nri.v1.nri']
    disable = true
{{- end}}
{{- if .ShimSocketDir}}

  [plugins.'io.containerd.shim.v1.manager']
    socket_dir = {{q .ShimSocketDir}}
{{- end}}
{{- if or .StreamServerAddress .StreamServerPort}}

  [plugins.'io.containerd.grpc.v1.cri']
{{- if .StreamServerAddress}}
    stream_server_address = {{q .StreamServerAddress}}
{{- end}}
{{- if .StreamServerPort}}
    stream_server_port = {{q .StreamServerPort}}
{{- end}}
{{- end}}

  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'

    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = {{q .SandboxImage}}
{{- if .RegistryConfigDir}}

    [plugins.'io.containerd.cri.v1.images'.registry]
      config_path = {{q .RegistryConfigDir}}
{{- end}}

  [plugins.'io.containerd.cri.v1.runtime']
{{- if .RestrictOOMScoreAdj}}
    # Where processes lack CAP_SYS_RESOURCE, a negative oom_score_adj makes
    # runc fail with "can't get final child's PID from pipe: EOF".
    restrict_oom_score_adj = true
{{- end}}
{{- if .NetNSUnderState}}
    # Keeps pod network namespaces under our state dir, not /run/netns.
    netns_mounts_under_state_dir = true
{{- end}}

    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'

      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
{{- if .ShimRuntimePath}}
        runtime_path = {{q .ShimRuntimePath}}
{{- end}}

        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
{{- if .RuncRoot}}
          # Our own runc root, so teardown finds leftovers of this runtime only.
          Root = {{q .RuncRoot}}
{{- end}}
          SystemdCgroup = false

    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = {{qs .CNIBinDirs}}
      conf_dir = {{q .CNIConfDir}}
      max_conf_num = 1
`)
