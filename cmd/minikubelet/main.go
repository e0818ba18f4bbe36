// Command minikubelet is a kubelet-style node agent: it runs the pods whose
// manifests are in a directory through any CRI runtime, and lets users look
// at them, read their logs and reach their ports.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
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
	root.AddCommand(newRunCommand(), newLogsCommand(), newPortForwardCommand())
	root.AddCommand(nodeAPICommands()...)
	return root
}
