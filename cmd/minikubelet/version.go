package main

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/version"

	"github.com/minikubelet/minikubelet/kubelet/apiserver"
)

func newVersionCommand() *cobra.Command {
	var api apiFlags
	var clientOnly bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the client's version and the node API's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Client Version: %s\n", apiserver.ServerVersion(buildVersion()).GitVersion)
			if clientOnly {
				return nil
			}
			client, err := api.client()
			if err != nil {
				return err
			}
			raw, err := doRaw(client.Get().AbsPath("/version").Do(cmd.Context()))
			if err != nil {
				return fmt.Errorf("asking %s for its version: %w", api.server, err)
			}
			var server version.Info
			if err := json.Unmarshal(raw, &server); err != nil {
				return fmt.Errorf("decoding the server version: %w", err)
			}
			fmt.Fprintf(out, "Server Version: %s\n", server.GitVersion)
			return nil
		},
	}
	api.bind(cmd.Flags())
	cmd.Flags().BoolVar(&clientOnly, "client", false, "print the client's version only")
	return cmd
}

// buildVersion is the module version the binary was built from.
func buildVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
