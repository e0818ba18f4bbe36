package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newDeleteCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.DeleteOptions
	cmd := &cobra.Command{
		Use:   "delete (pod NAME... | -f FILE)",
		Short: "Delete pods by removing the manifest that defines them",
		Long: `Delete asks the node API to remove the manifest file that defines each pod,
whichever file it is; the agent then stops the pod. By default it waits
until the pod is gone, as kubectl does (--wait=false returns at once).`,
		Example: `  minikubelet delete pod web
  minikubelet delete -f web.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.Resource, opts.Names = args[0], args[1:]
			}
			opts.Stdin, opts.Stdout = cmd.InOrStdin(), cmd.OutOrStdout()
			return apiclient.Delete(cmd.Context(), api.conn, opts)
		},
	}
	api.bind(cmd.Flags())
	cmd.Flags().StringSliceVarP(&opts.Files, "filename", "f", nil, "delete the pods this manifest defines (- for standard input)")
	cmd.Flags().BoolVar(&opts.Wait, "wait", true, "wait until each pod is gone")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "how long to wait for a pod to go")
	return cmd
}
