package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/kubelet"
)

// Validate checks the options, from flags or a config file, before anything
// starts. Each problem names the config field and its flag, since either
// may have set it; all problems are reported together.
func (o Options) Validate() error { return o.validate(true) }

// validate checks every field; with checkExposure it also refuses an API
// exposed off-box without TLS and a token. A config file is checked
// without it, since the TLS and token flags may come from the command line.
func (o Options) validate(checkExposure bool) error {
	var problems []error
	check := func(field, flag string, err error) {
		if err != nil {
			problems = append(problems, fmt.Errorf("%s (--%s): %w", field, flag, err))
		}
	}
	check("manifestDir", "manifest-dir", nonEmpty(o.ManifestDir))
	check("rootDir", "root-dir", absolutePath(o.RootDir))
	check("runDir", "run-dir", absolutePath(o.RunDir))
	check("podLogDir", "pod-log-dir", nonEmpty(o.PodLogDir))
	listenErr := listenAddress(o.Listen)
	check("listen", "listen", listenErr)
	pairErr := tlsPair(o.TLSCertFile, o.TLSKeyFile)
	check("tlsCertFile", "tls-cert-file", pairErr)
	if checkExposure && listenErr == nil && pairErr == nil {
		// Refused here, not only by apiserver.Listen, so a config file
		// exposing the API is an error of the file, found before starting.
		if err := o.APIListen().Check(); err != nil {
			problems = append(problems, fmt.Errorf("listen, tlsCertFile, tlsPrivateKeyFile: %w", err))
		}
	}
	defaults := DefaultOptions()
	check("relistPeriod", "relist-period", positiveDuration(o.RelistPeriod, defaults.RelistPeriod))
	check("manifestRelistPeriod", "manifest-relist-period", positiveDuration(o.ManifestRelist, defaults.ManifestRelist))
	check("maxPods", "max-pods", maxPods(o.MaxPods))
	check("logLevel", "log-level", logLevel(o.LogLevel))
	check("logFormat", "log-format", oneOf(strings.ToLower(o.LogFormat), "text", "json"))
	check("podCIDR", "pod-cidr", cidr(o.PodCIDR, true))
	check("clusterCIDR", "cluster-cidr", cidr(o.ClusterCIDR, true))
	check("bridgeName", "bridge-name", cni.CheckBridgeName(o.BridgeName))
	// Zero would not mean "never": cni.New would quietly use its defaults.
	check("cniCheckInterval", "cni-check-interval", positiveDuration(o.CNICheckInterval, defaults.CNICheckInterval))
	check("cniLeakGrace", "cni-leak-grace", positiveDuration(o.CNILeakGrace, defaults.CNILeakGrace))
	check("containerLogMaxSize", "container-log-max-size", quantity(o.ContainerLogMaxSize))
	check("containerLogMaxFiles", "container-log-max-files", positive(float64(o.ContainerLogMaxFiles)))
	check("managedRuntime", "managed-runtime", oneOf(o.ManagedRuntime, managedRuntimeModes...))
	if o.ManagedRuntime == ManagedRuntimeAlways && o.RuntimeEndpoint != "" {
		check("managedRuntime", "managed-runtime", fmt.Errorf("%q conflicts with runtimeEndpoint (--runtime-endpoint) %q: set one of them", o.ManagedRuntime, o.RuntimeEndpoint))
	}
	check("nodeName", "node-name", clusterNodeName(o.NodeName, o.Kubeconfig))
	check("nodeIP", "node-ip", nodeIP(o.NodeIP, o.Kubeconfig))
	check("kubeletPort", "kubelet-port", port(o.KubeletPort))
	if o.ClientCAFile != "" && o.Kubeconfig == "" {
		check("clientCAFile", "client-ca-file", errors.New("is for the node endpoint of a cluster: set kubeconfig (--kubeconfig) too, or drop it"))
	}
	for _, registry := range o.InsecureRegistries {
		check("insecureRegistries", "insecure-registry", registryHost(registry))
	}
	return errors.Join(problems...)
}

func nonEmpty(value string) error {
	if value == "" {
		return errors.New("must not be empty")
	}
	return nil
}

// absolutePath is required of directories that end up in the managed
// containerd's config, which refuses relative paths.
func absolutePath(value string) error {
	if !filepath.IsAbs(value) {
		return fmt.Errorf("%q is not an absolute path", value)
	}
	return nil
}

// listenAddress accepts what apiserver.Listen serves: TCP HOST:PORT or a
// unix socket at an absolute path (a relative one would depend on the
// directory the agent happens to start in).
func listenAddress(value string) error {
	if path, ok := strings.CutPrefix(value, "unix://"); ok {
		if !filepath.IsAbs(path) || strings.HasSuffix(path, "/") {
			return fmt.Errorf("%q is not unix:// followed by a socket's absolute path, such as unix:///run/minikubelet/api.sock", value)
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(value); err != nil {
		return fmt.Errorf("%q is not HOST:PORT, such as 127.0.0.1:10350, or unix:///PATH", value)
	}
	return nil
}

func tlsPair(cert, key string) error {
	if (cert == "") != (key == "") {
		return errors.New("goes with tlsPrivateKeyFile (--tls-private-key-file): give both, or neither")
	}
	return nil
}

func positive(value float64) error {
	if value <= 0 {
		return errors.New("must be more than zero")
	}
	return nil
}

// positiveDuration suggests the default as the fix.
func positiveDuration(value, suggested time.Duration) error {
	if value <= 0 {
		return fmt.Errorf("must be more than zero, such as %s (the default)", suggested)
	}
	return nil
}

// maxMaxPods bounds maxPods far above what any node runs (the kubelet's
// default is 110; big nodes are given a few hundred), so a slip such as
// 1100000 is refused instead of quietly meaning "no limit".
const maxMaxPods = 10000

func maxPods(value int) error {
	switch {
	case value <= 0:
		return fmt.Errorf("must be more than zero, such as %d (the default, as the kubelet's)", kubelet.DefaultMaxPods)
	case value > maxMaxPods:
		return fmt.Errorf("%d is more than %d, far past what a node runs: use at most %d, such as %d (the default)", value, maxMaxPods, maxMaxPods, kubelet.DefaultMaxPods)
	}
	return nil
}

// clusterNodeName: a Node's name in a cluster must be a DNS subdomain
// (lowercase), which a hostname need not be. Standalone, any name goes.
func clusterNodeName(name, kubeconfig string) error {
	if kubeconfig == "" || name == "" {
		return nil
	}
	if problems := validation.IsDNS1123Subdomain(name); len(problems) > 0 {
		return fmt.Errorf("%q cannot name a Node in a cluster (kubeconfig, --kubeconfig, is set): use lowercase letters, digits, '-' and '.', such as %q", name, suggestNodeName(name))
	}
	return nil
}

// defaultNodeName is the hostname (nodeNameFromHostname).
func defaultNodeName(kubeconfig string) (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("finding the node name: %w (set --node-name)", err)
	}
	return nodeNameFromHostname(host, kubeconfig)
}

// nodeNameFromHostname: in a cluster the hostname is lowercased, as the
// kubelet's, and must then name a Node; standalone it is kept as it is, so
// pods an earlier agent labelled with it are still this node's.
func nodeNameFromHostname(host, kubeconfig string) (string, error) {
	if kubeconfig == "" {
		return host, nil
	}
	name := strings.ToLower(strings.TrimSpace(host))
	if err := clusterNodeName(name, kubeconfig); err != nil {
		return "", fmt.Errorf("the hostname %s: %w (or set --node-name)", host, err)
	}
	return name, nil
}

// suggestNodeName lowercases name and turns what a DNS subdomain cannot
// hold into '-'.
func suggestNodeName(name string) string {
	suggestion := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(name))
	if suggestion = strings.Trim(suggestion, "-."); suggestion == "" {
		return "worker-1"
	}
	return suggestion
}

// nodeIP is the Node's InternalIP, so it needs a cluster to be shown in.
func nodeIP(value, kubeconfig string) error {
	if value == "" {
		return nil
	}
	ip := net.ParseIP(value)
	switch {
	case ip == nil:
		return fmt.Errorf("%q is not an IP address such as 192.168.1.10", value)
	case ip.IsUnspecified(), ip.IsLoopback(), ip.IsMulticast(), ip.IsLinkLocalUnicast():
		// As the kubelet's --node-ip validation: the API server and the
		// other nodes reach this node there.
		return fmt.Errorf("%s cannot be reached from other hosts: use an address of this host's network interface, such as the one `ip route get 1.1.1.1` names", value)
	}
	if kubeconfig == "" {
		return errors.New("is the Node's address in a cluster: set kubeconfig (--kubeconfig) too, or drop it")
	}
	return nil
}

func logLevel(value string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(value)); err != nil {
		return fmt.Errorf("%q is not a level: use debug, info, warn or error", value)
	}
	return nil
}

func oneOf(value string, allowed ...string) error {
	if !slices.Contains(allowed, value) {
		return fmt.Errorf("%q is not one of %s", value, strings.Join(allowed, ", "))
	}
	return nil
}

func cidr(value string, optional bool) error {
	if value == "" && optional {
		return nil
	}
	if _, _, err := net.ParseCIDR(value); err != nil {
		return fmt.Errorf("%q is not a CIDR such as 10.88.0.0/16", value)
	}
	return nil
}

func quantity(value string) error {
	q, err := resource.ParseQuantity(value)
	if err != nil || q.Sign() <= 0 {
		return fmt.Errorf("%q is not a size such as 10Mi", value)
	}
	return nil
}

// registryHost accepts what names a certs.d directory: HOST[:PORT].
func registryHost(value string) error {
	if value == "" || strings.ContainsAny(value, "/\\ ") || strings.Trim(value, ".") == "" {
		return fmt.Errorf("%q is not a registry HOST[:PORT] such as 127.0.0.1:5000", value)
	}
	return nil
}

func port(p int32) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("%d is not a TCP port (1-65535)", p)
	}
	return nil
}
