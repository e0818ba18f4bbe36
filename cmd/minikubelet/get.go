package main

import (
	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newGetCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.GetOptions
	cmd := &cobra.Command{
		Use:   "get pods|events [NAME...] [-o wide|yaml|json|name] [-w] [-A] [-l SELECTOR] [--field-selector SELECTOR]",
		Short: "Show the node's pods or their events, like kubectl get",
		Long: `Get prints the node's pods, or the events of their lives, as kubectl does: a
table by default (-o wide adds columns), or the full objects as YAML or JSON.
With -w it keeps printing a row for every change until interrupted. Events
are kept for an hour after their pod goes.`,
		Example: `  minikubelet get pods
  minikubelet get pods -A -o wide -l app=web
  minikubelet get pod web -o yaml
  minikubelet get pods -w
  minikubelet get events -w --field-selector involvedObject.name=web`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Resource, opts.Names = args[0], args[1:]
			opts.Stdout, opts.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return apiclient.Get(cmd.Context(), api.conn, opts)
		},
	}
	api.bind(cmd.Flags())
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "output format: wide, yaml, json or name")
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "after listing, keep printing changes")
	cmd.Flags().BoolVarP(&opts.AllNamespaces, "all-namespaces", "A", false, "list the objects of every namespace")
	cmd.Flags().StringVarP(&opts.Selector, "selector", "l", "", "label selector, e.g. app=web,tier!=db")
	cmd.Flags().StringVar(&opts.FieldSelector, "field-selector", "", "field selector, e.g. involvedObject.name=web for events")
	return cmd
}
