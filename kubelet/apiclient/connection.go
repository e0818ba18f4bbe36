package apiclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// unixPrefix marks a server that is the agent's unix socket.
const unixPrefix = "unix://"

// Connection says how to reach the node API: a kubeconfig, read as
// kubectl reads one, with the connection flags overriding it.
type Connection struct {
	// Kubeconfig is --kubeconfig. Without it, $KUBECONFIG names the files
	// (as for kubectl), then DefaultKubeconfig, the file the agent writes.
	Kubeconfig        string
	DefaultKubeconfig string
	// Server, Token, CAFile, TLSServerName and Insecure are --server,
	// --token, --certificate-authority, --tls-server-name and
	// --insecure-skip-tls-verify.
	Server        string
	Token         string
	CAFile        string
	TLSServerName string
	Insecure      bool
	// Namespace is -n; "" takes the kubeconfig context's, else "default".
	Namespace string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// Target is a resolved connection.
type Target struct {
	// Config reaches the API with client-go.
	Config *rest.Config
	// Server is the API's URL as configured: https://..., or unix:///PATH.
	Server string
	// Namespace is the namespace commands act in.
	Namespace string
}

// Resolve reads the kubeconfig and applies the flags. With --server and
// no kubeconfig named, the agent's own kubeconfig is not read: its token
// would otherwise be sent to whatever server the flag names.
func (c Connection) Resolve() (*Target, error) {
	rules, source, err := c.loadingRules()
	if err != nil {
		return nil, err
	}
	overrides := &clientcmd.ConfigOverrides{
		ClusterInfo: clientcmdapi.Cluster{Server: c.Server, CertificateAuthority: c.CAFile, TLSServerName: c.TLSServerName, InsecureSkipTLSVerify: c.Insecure},
		AuthInfo:    clientcmdapi.AuthInfo{Token: c.Token},
	}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, explainLoadError(err, source)
	}
	namespace := c.Namespace
	if namespace == "" {
		if namespace, _, err = loader.Namespace(); err != nil || namespace == "" {
			namespace = "default"
		}
	}
	target := &Target{Config: cfg, Server: cfg.Host, Namespace: namespace}
	if path, ok := strings.CutPrefix(cfg.Host, unixPrefix); ok {
		if path == "" {
			return nil, fmt.Errorf("server %q names no socket path: write unix:///path/to/socket", cfg.Host)
		}
		cfg.Host = "http://localhost"
		cfg.Dial = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "minikubelet-cli"
	}
	return target, nil
}

// loadingRules picks the kubeconfig files: --kubeconfig, else $KUBECONFIG,
// else the agent's own unless --server was given. source names them for
// errors.
func (c Connection) loadingRules() (*clientcmd.ClientConfigLoadingRules, string, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case c.Kubeconfig != "":
		return &clientcmd.ClientConfigLoadingRules{ExplicitPath: c.Kubeconfig}, "--kubeconfig " + c.Kubeconfig, nil
	case getenv(clientcmd.RecommendedConfigPathEnvVar) != "":
		paths := filepath.SplitList(getenv(clientcmd.RecommendedConfigPathEnvVar))
		return &clientcmd.ClientConfigLoadingRules{Precedence: paths}, "$KUBECONFIG " + strings.Join(paths, ":"), nil
	case c.Server != "":
		return &clientcmd.ClientConfigLoadingRules{}, "--server " + c.Server, nil
	}
	path := c.DefaultKubeconfig
	if _, err := os.Stat(path); err != nil {
		return nil, "", noKubeconfigError(path, err)
	}
	return &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, path, nil
}

// noKubeconfigError explains why the agent's kubeconfig cannot be used.
func noKubeconfigError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("reading %s: permission denied: the node API takes the administrator's token, which only root may read; run as root (sudo), or pass --kubeconfig", path)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist: the agent writes it when it starts (is `minikubelet run` running, and with this --root-dir?); or pass --kubeconfig or --server", path)
	}
	return fmt.Errorf("reading the kubeconfig %s: %w", path, err)
}

// explainLoadError says which kubeconfig could not be used.
func explainLoadError(err error, source string) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("reading %s: permission denied: run as a user who may read it, or pass another --kubeconfig", source)
	}
	if clientcmd.IsEmptyConfig(err) {
		return fmt.Errorf("%s: no server configured: pass --server or --kubeconfig", source)
	}
	return fmt.Errorf("using %s: %w", source, err)
}

// tlsConfigFor is the TLS configuration a raw connection to the target
// uses (port-forward's upgrade), nil for plain HTTP.
func tlsConfigFor(target *Target) (*tls.Config, error) {
	cfg, err := rest.TLSConfigFor(target.Config)
	if err != nil {
		return nil, fmt.Errorf("TLS settings for %s: %w", target.Server, err)
	}
	return cfg, nil
}

// TLSConfig is the TLS configuration a raw connection to the target uses
// (port-forward's upgrade); nil means plain HTTP.
func (t *Target) TLSConfig() (*tls.Config, error) { return tlsConfigFor(t) }
