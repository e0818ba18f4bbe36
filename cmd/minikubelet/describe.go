package main

import (
	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newDescribeCommand() *cobra.Command {
	var api apiFlags
	cmd := &cobra.Command{
		Use:   "describe pod NAME",
		Short: "Show a pod in detail: spec, status, conditions, containers, events and its manifest",
		Long: `Describe prints what kubectl describe pod prints, plus the manifest file that
defines the pod and, when that file is invalid, its errors.`,
		Example: `  minikubelet describe pod web
  minikubelet describe pod -n kube-system etcd`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return apiclient.Describe(cmd.Context(), api.conn, apiclient.DescribeOptions{
				Resource: args[0], Name: args[1], Stdout: cmd.OutOrStdout(),
			})
		},
	}
	api.bind(cmd.Flags())
	return cmd
}
