package main

import (
	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newDiffCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.DiffOptions
	cmd := &cobra.Command{
		Use:   "diff -f FILE|-",
		Short: "Show what apply would change, like kubectl diff",
		Long: `Diff sends each Pod in the file to the node API as a dry run of apply, which
writes nothing, and shows the difference between the pod as it runs and as it
would be, with diff -u. It exits 0 when nothing would change, 1 when
something would, and more on an error, as kubectl diff does. A spec change
shows a new uid: apply replaces the pod.`,
		Example: `  minikubelet diff -f web.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Stdin, opts.Stdout, opts.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return apiclient.Diff(cmd.Context(), api.conn, opts)
		},
	}
	api.bind(cmd.Flags())
	bindManifestFiles(cmd, &opts.Files)
	return cmd
}
