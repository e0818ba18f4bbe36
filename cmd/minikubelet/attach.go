package main

import (
	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newAttachCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.AttachOptions
	var protocol string
	cmd := &cobra.Command{
		Use:   "attach [-i] [-t] [-c CONTAINER] POD",
		Short: "Attach to the main process of a running container",
		Long: `Attach shows what a running container's main process writes, and with -i
passes this terminal's input to it, like kubectl attach. A container
started with tty: true is attached as a terminal.`,
		Example: `  minikubelet attach web
  minikubelet attach -it -c shell toolbox`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Protocol, err = apiclient.ParseProtocol(protocol); err != nil {
				return err
			}
			opts.Pod = podName(args[0])
			opts.In, opts.Out, opts.ErrOut = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return apiclient.Attach(cmd.Context(), api.conn, opts)
		},
	}
	api.bind(cmd.Flags())
	bindStreamFlags(cmd, &opts.Container, &opts.Stdin, &opts.TTY, &opts.Quiet, &protocol)
	return cmd
}
