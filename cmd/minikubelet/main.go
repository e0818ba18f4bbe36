// Command minikubelet is a kubelet-style node agent: it runs the pods whose
// manifests are in a directory through any CRI runtime, and lets users look
// at them, read their logs and reach their ports.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCommand().ExecuteContext(ctx)
	// A remote command's exit code is the CLI's, as with kubectl exec.
	var exitErr *apiclient.ExitCodeError
	switch {
	case errors.As(err, &exitErr):
		switch {
		case exitErr.Silent: // the command has printed what it had to say
		case err == error(exitErr):
			fmt.Fprintln(os.Stderr, exitErr) // kubectl's words, without "error:"
		default:
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		stop()
		os.Exit(exitErr.Code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "error:", err)
		stop()
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "minikubelet",
		Short:         "A kubelet-style node agent for static pods on any CRI runtime",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCommand(), newLogsCommand(), newPortForwardCommand(), newContainerdConfigCommand())
	root.AddCommand(nodeAPICommands()...)
	return root
}
