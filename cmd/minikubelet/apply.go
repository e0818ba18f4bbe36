package main

import (
	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newApplyCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.ManifestOptions
	cmd := &cobra.Command{
		Use:   "apply -f FILE|-",
		Short: "Create pods, or replace the spec of those that exist",
		Long: `Apply creates each Pod in the file that does not exist, and replaces the
spec of each that does: the manifest that defines it is rewritten, and the
agent restarts the pod with the new spec. A pod whose spec is the same is
left alone ("unchanged").`,
		Example: `  minikubelet apply -f web.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Stdin, opts.Stdout = cmd.InOrStdin(), cmd.OutOrStdout()
			return apiclient.Apply(cmd.Context(), api.conn, opts)
		},
	}
	api.bind(cmd.Flags())
	bindManifestFiles(cmd, &opts.Files)
	return cmd
}
