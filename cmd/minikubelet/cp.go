package main

import (
	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newCopyCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.CopyOptions
	var protocol string
	cmd := &cobra.Command{
		Use:   "cp [-c CONTAINER] SRC DEST",
		Short: "Copy files to and from containers",
		Long: `Cp copies a file or a directory between this machine and a container, like
kubectl cp. One of SRC and DEST is [NAMESPACE/]POD:PATH. It runs tar in
the container, so the container's image must have a tar in its PATH.
Links in what comes from the container are skipped, and nothing is
written outside DEST.`,
		Example: `  minikubelet cp web:/var/log/app.log ./app.log
  minikubelet cp ./config web:/etc/app
  minikubelet cp -c sidecar kube-system/dns:/tmp/dump ./dump`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Protocol, err = apiclient.ParseProtocol(protocol); err != nil {
				return err
			}
			opts.Source, opts.Destination = args[0], args[1]
			opts.Out, opts.ErrOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return apiclient.Copy(cmd.Context(), api.conn, opts)
		},
	}
	f := cmd.Flags()
	api.bind(f)
	f.StringVarP(&opts.Container, "container", "c", "", "container name (default: the kubectl.kubernetes.io/default-container annotation's, else the first)")
	f.BoolVar(&opts.NoPreserve, "no-preserve", false, "files copied into the container get its default owner and permissions")
	f.StringVar(&protocol, "protocol", "auto", "streaming protocol: auto (WebSocket, then SPDY, as kubectl), websocket or spdy")
	return cmd
}
