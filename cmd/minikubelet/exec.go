package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func newExecCommand() *cobra.Command {
	var api apiFlags
	var opts apiclient.ExecOptions
	var protocol string
	cmd := &cobra.Command{
		Use:   "exec [-i] [-t] [-c CONTAINER] POD -- COMMAND [ARGS...]",
		Short: "Run a command in a container",
		Long: `Exec runs a command in a running container of a pod, like kubectl exec.
With -i the command reads this terminal's input (end it with Ctrl-D);
with -t as well it runs on a terminal, resized with this one. The CLI
exits with the command's exit code.`,
		Example: `  minikubelet exec web -- ls /
  minikubelet exec -it -c app web -- sh
  echo hello | minikubelet exec -i web -- cat`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash != 1 || len(args) < 2 {
				return errors.New("give the pod, then -- and the command: minikubelet exec POD -- COMMAND [ARGS...]")
			}
			var err error
			if opts.Protocol, err = apiclient.ParseProtocol(protocol); err != nil {
				return err
			}
			opts.Pod, opts.Command = podName(args[0]), args[1:]
			opts.In, opts.Out, opts.ErrOut = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return apiclient.Exec(cmd.Context(), api.conn, opts)
		},
	}
	f := cmd.Flags()
	api.bind(f)
	bindStreamFlags(cmd, &opts.Container, &opts.Stdin, &opts.TTY, &opts.Quiet, &protocol)
	return cmd
}

// bindStreamFlags adds the flags exec and attach share, with kubectl's
// names.
func bindStreamFlags(cmd *cobra.Command, container *string, stdin, tty, quiet *bool, protocol *string) {
	f := cmd.Flags()
	f.StringVarP(container, "container", "c", "", "container name (default: the kubectl.kubernetes.io/default-container annotation's, else the first)")
	f.BoolVarP(stdin, "stdin", "i", false, "pass this terminal's input to the container")
	f.BoolVarP(tty, "tty", "t", false, "run on a terminal (with -i and when the input is a terminal)")
	f.BoolVarP(quiet, "quiet", "q", false, "print only what the container writes")
	f.StringVar(protocol, "protocol", "auto", "streaming protocol: auto (WebSocket, then SPDY, as kubectl), websocket or spdy")
}

// podName accepts POD, pod/POD and pods/POD.
func podName(arg string) string {
	return strings.TrimPrefix(strings.TrimPrefix(arg, "pods/"), "pod/")
}
