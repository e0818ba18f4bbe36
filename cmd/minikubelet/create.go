package main

import (
	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newCreateCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.ManifestOptions
	cmd := &cobra.Command{
		Use:   "create -f FILE|-",
		Short: "Create pods from a manifest; the node API writes it into the manifest directory",
		Long: `Create sends each Pod in the file (YAML or JSON, several separated by ---) to
the node API, which validates it exactly as a manifest and writes it as
<namespace>_<name>.yaml into the manifest directory. A pod that exists is an
error; use apply to replace it.`,
		Example: `  minikubelet create -f web.yaml
  cat web.yaml | minikubelet create -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Stdin, opts.Stdout = cmd.InOrStdin(), cmd.OutOrStdout()
			return apiclient.Create(cmd.Context(), api.conn, opts)
		},
	}
	api.bind(cmd.Flags())
	bindManifestFiles(cmd, &opts.Files)
	return cmd
}

// bindManifestFiles binds -f, shared by create and apply.
func bindManifestFiles(cmd *cobra.Command, files *[]string) {
	cmd.Flags().StringSliceVarP(files, "filename", "f", nil, "manifest file, or - for standard input (repeatable)")
}
