package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/apiclient"
	"github.com/minikubelet/minikubelet/kubelet/logs"
)

// logsFlags are the flags of `minikubelet logs`, kubectl's where they exist.
type logsFlags struct {
	api           apiFlags
	container     string
	allContainers bool
	prefix        bool
	follow        bool
	previous      bool
	tail          int64
	since         time.Duration
	sinceTime     string
	timestamps    bool
	limitBytes    int64
}

func newLogsCommand() *cobra.Command {
	var flags logsFlags
	cmd := &cobra.Command{
		Use:   "logs [-f] [-c CONTAINER] POD",
		Short: "Print the logs of a container in a pod",
		Long: `Logs prints a container's log from a running minikubelet, like kubectl logs.
The container may be omitted when the pod has only one.`,
		Example: `  minikubelet logs web
  minikubelet logs -f --tail 20 -c app web
  minikubelet logs --previous --since 5m -n kube-system etcd`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fetch, err := flags.fetchOptions(args[0])
			if err != nil {
				return err
			}
			return apiclient.Logs(cmd.Context(), flags.api.conn, apiclient.LogsOptions{Fetch: fetch, Stdout: cmd.OutOrStdout()})
		},
	}
	f := cmd.Flags()
	flags.api.bind(f)
	f.StringVarP(&flags.container, "container", "c", "", "container to print (optional when the pod has one)")
	f.BoolVar(&flags.allContainers, "all-containers", false, "print the logs of every container in the pod")
	f.BoolVar(&flags.prefix, "prefix", false, "prefix each line with [pod/POD/CONTAINER]")
	f.BoolVarP(&flags.follow, "follow", "f", false, "keep printing new lines until the container stops")
	f.BoolVarP(&flags.previous, "previous", "p", false, "print the log of the previous, terminated instance")
	f.Int64Var(&flags.tail, "tail", -1, "lines of recent log to print; -1 prints all")
	f.DurationVar(&flags.since, "since", 0, "only lines newer than this duration, e.g. 5m or 1h")
	f.StringVar(&flags.sinceTime, "since-time", "", "only lines at or after this RFC3339 time")
	f.BoolVar(&flags.timestamps, "timestamps", false, "prefix each line with its RFC3339Nano timestamp")
	f.Int64Var(&flags.limitBytes, "limit-bytes", 0, "stop after this many bytes; 0 means no limit")
	return cmd
}

// fetchOptions turns the flags into a request, rejecting combinations
// that have no meaning with the flag names the user typed. The namespace
// is the connection's, set by apiclient.Logs.
func (fl logsFlags) fetchOptions(pod string) (logs.FetchOptions, error) {
	opts := logs.FetchOptions{
		Pod:           pod,
		Container:     fl.container,
		AllContainers: fl.allContainers,
		Prefix:        fl.prefix,
		Options: logs.Options{
			Follow:     fl.follow,
			Previous:   fl.previous,
			Timestamps: fl.timestamps,
			LimitBytes: fl.limitBytes,
			Since:      fl.since,
		},
	}
	switch {
	case fl.allContainers && fl.container != "":
		return opts, errors.New("--container and --all-containers both given: use one")
	case fl.tail < -1:
		return opts, fmt.Errorf("--tail %d: give -1 (all lines) or a count of 0 or more", fl.tail)
	case fl.since < 0:
		return opts, fmt.Errorf("--since %s: give a positive duration such as 5m", fl.since)
	case fl.limitBytes < 0:
		return opts, fmt.Errorf("--limit-bytes %d: give a positive byte count, or 0 for no limit", fl.limitBytes)
	case fl.since > 0 && fl.sinceTime != "":
		return opts, errors.New("--since and --since-time both given: use one")
	}
	if fl.tail >= 0 {
		opts.Options.Tail, opts.Options.TailLines = true, fl.tail
	}
	if fl.sinceTime != "" {
		t, err := time.Parse(time.RFC3339Nano, fl.sinceTime)
		if err != nil {
			return opts, fmt.Errorf("--since-time %q: give an RFC3339 time such as 2024-05-01T10:00:00Z", fl.sinceTime)
		}
		opts.Options.SinceTime = t
	}
	return opts, nil
}
