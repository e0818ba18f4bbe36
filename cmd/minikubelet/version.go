package main

import (
	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newVersionCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.VersionOptions
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the client's version and the node API's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Stdout = cmd.OutOrStdout()
			return apiclient.Version(cmd.Context(), api.conn, opts)
		},
	}
	api.bind(cmd.Flags())
	cmd.Flags().BoolVar(&opts.ClientOnly, "client", false, "print the client's version only")
	return cmd
}
