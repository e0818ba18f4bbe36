package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newEditCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.EditOptions
	cmd := &cobra.Command{
		Use:   "edit pod NAME [-o yaml|json]",
		Short: "Edit a pod in your editor; the change is written into its manifest",
		Long: `Edit opens the pod in $KUBE_EDITOR, else $EDITOR, else vi, and sends what you
changed to the node API as a strategic merge patch, as kubectl edit does. The
agent writes the change into the pod's manifest file, keeping the file's
layout and comments where it can. A change of labels or annotations keeps the
pod running as it is; any other change replaces it. Saving the file
unchanged, or empty, cancels. If the API refuses the change, your edited file
is kept and named in the error.`,
		Example: `  minikubelet edit pod web
  KUBE_EDITOR=nano minikubelet edit pod web -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Resource, opts.Name = args[0], args[1]
			opts.Editor = firstSet(os.Getenv("KUBE_EDITOR"), os.Getenv("EDITOR"), "vi")
			opts.Stdin, opts.Stdout, opts.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return apiclient.Edit(cmd.Context(), api.conn, opts)
		},
	}
	api.bind(cmd.Flags())
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "yaml", "format shown in the editor: yaml or json")
	return cmd
}

// firstSet returns the first non-empty value.
func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
