package main

import (
	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newTopCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.TopOptions
	cmd := &cobra.Command{
		Use:   "top pod|node [NAME] [-A] [-l SELECTOR] [--containers] [--sort-by cpu|memory] [--no-headers]",
		Short: "Show the CPU and memory use of pods or of the node, like kubectl top",
		Long: `Top prints what pods (or the node) use now: CPU in millicores, averaged over
the last seconds, and the memory working set, from the runtime's stats, as
kubectl top prints them from metrics-server. The first top after a quiet
while takes about a second, to measure CPU over two samples.`,
		Example: `  minikubelet top pod
  minikubelet top pod web --containers
  minikubelet top pod -A --sort-by memory
  minikubelet top node`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Resource = args[0]
			if len(args) > 1 {
				opts.Name = args[1]
			}
			opts.Stdout = cmd.OutOrStdout()
			return apiclient.Top(cmd.Context(), api.conn, opts)
		},
	}
	api.bind(cmd.Flags())
	cmd.Flags().BoolVarP(&opts.AllNamespaces, "all-namespaces", "A", false, "show pods of every namespace")
	cmd.Flags().StringVarP(&opts.Selector, "selector", "l", "", "label selector, e.g. app=web")
	cmd.Flags().BoolVar(&opts.Containers, "containers", false, "show each container of the pods")
	cmd.Flags().StringVar(&opts.SortBy, "sort-by", "", "sort by cpu or memory, highest first")
	cmd.Flags().BoolVar(&opts.NoHeaders, "no-headers", false, "leave out the header line")
	return cmd
}
