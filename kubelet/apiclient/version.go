package apiclient

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

	"k8s.io/apimachinery/pkg/version"

	"github.com/minikubelet/minikubelet/kubelet/apiserver"
)

// VersionOptions are the inputs of `version`.
type VersionOptions struct {
	// ClientOnly prints the client's version without asking the server.
	ClientOnly bool
	Stdout     io.Writer
}

// Version prints the client's version and then the node API's.
func Version(ctx context.Context, conn Connection, opts VersionOptions) error {
	fmt.Fprintf(opts.Stdout, "Client Version: %s\n", ClientVersion())
	if opts.ClientOnly {
		return nil
	}
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	server, err := client.ServerVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Stdout, "Server Version: %s\n", server.GitVersion)
	return nil
}

// ServerVersion asks the node API for its version.
func (c *Client) ServerVersion(ctx context.Context) (*version.Info, error) {
	info, err := into[version.Info](c.rest.Get().AbsPath("/version").Do(ctx), "the server version")
	if err != nil {
		return nil, fmt.Errorf("asking %s for its version: %w", c.Server(), err)
	}
	return info, nil
}

// ClientVersion is this binary's version in the server's form
// (v1.N.P+minikubelet.VERSION), so the two compare at a glance.
func ClientVersion() string {
	return apiserver.ServerVersion(buildVersion()).GitVersion
}

// buildVersion is the module version the binary was built from.
func buildVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
