package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
	"github.com/minikubelet/minikubelet/kubelet/portforward"
)

// portForwardFlags are the flags of `minikubelet port-forward` that do not
// map one-to-one onto portforward.Options.
type portForwardFlags struct {
	direct   string
	logLevel string
}

func newPortForwardCommand() *cobra.Command {
	opts := portforward.Options{Addresses: []string{"localhost"}}
	var flags portForwardFlags
	var api apiFlags
	cmd := &cobra.Command{
		Use:   "port-forward [-n NAMESPACE] POD [LOCAL:]REMOTE[/udp] ...",
		Short: "Forward local ports to a pod's ports",
		Long: `Port-forward listens on local ports and forwards every connection to a
port of a pod the agent runs, like kubectl port-forward.

A port is [LOCAL:]REMOTE: 8080 forwards local 8080 to the pod's 8080,
8888:8080 local 8888 to 8080, and :8080 a free local port, which is
printed. REMOTE may be a container port's name. Append /udp to forward
UDP, or give --udp to forward every port over UDP as well as TCP.

When --server is this host (a unix socket, a loopback address or one of
this host's addresses), TCP connections go straight to the pod IP when it
answers there (--direct auto), which is several times faster, and
otherwise through the runtime's tunnel, which reaches ports bound to the
pod's localhost only. Against another node's agent every connection goes
through its tunnel: a pod IP dialled from here may be a different pod, or
no pod, here. --log-level debug says which path was chosen and why. As root,
connections to 127.0.0.1 ports that the pod IP serves are redirected in the
kernel, so they run at the speed of a direct connection. UDP always
goes to the pod IP. A failing connection is reported and the session goes
on; it ends on Ctrl-C or when the pod is deleted or replaced.`,
		Example: `  minikubelet port-forward kubia-manual 8080:8080
  minikubelet port-forward -n web frontend :http 9090
  minikubelet port-forward --udp dns 5353`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Direct, err = portforward.ParseDirectMode(flags.direct); err != nil {
				return err
			}
			if opts.Logger, err = cliLogger(cmd, flags.logLevel); err != nil {
				return err
			}
			opts.Pod = strings.TrimPrefix(strings.TrimPrefix(args[0], "pods/"), "pod/")
			opts.Ports = args[1:]
			opts.Out = cmd.OutOrStdout()
			return apiclient.PortForward(cmd.Context(), api.conn, opts)
		},
	}
	f := cmd.Flags()
	api.bind(f)
	f.StringSliceVar(&opts.Addresses, "address", opts.Addresses, "local addresses to listen on, comma-separated; localhost means 127.0.0.1 and ::1")
	f.BoolVar(&opts.UDP, "udp", false, "forward every port over UDP too (straight to the pod IP)")
	f.BoolVar(&opts.KernelRedirect, "kernel-redirect", true, "as root on Linux, redirect local connections to 127.0.0.1 ports straight to the pod IP in the kernel (eBPF connect hook), so data bypasses this process")
	f.StringVar(&flags.direct, "direct", string(portforward.DirectAuto), "TCP path when --server is this host: auto (pod IP, else the runtime tunnel), always (pod IP only) or never (runtime tunnel only, as kubectl); another node's pods are always reached through its tunnel")
	f.StringVar(&flags.logLevel, "log-level", "info", "diagnostics on stderr: debug, info, warn or error")
	return cmd
}

// cliLogger writes diagnostics as one text line per event on stderr.
func cliLogger(cmd *cobra.Command, levelName string) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(levelName)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", levelName)
	}
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level})), nil
}
