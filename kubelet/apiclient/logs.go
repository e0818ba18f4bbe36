package apiclient

import (
	"context"
	"io"

	"github.com/minikubelet/minikubelet/kubelet/logs"
)

// LogsOptions are the inputs of `logs`.
type LogsOptions struct {
	// Fetch says which log and which part of it; its Namespace "" means
	// the client's, and its Client is set here.
	Fetch  logs.FetchOptions
	Stdout io.Writer
}

// Logs copies a container's log to Stdout, following it with
// Fetch.Options.Follow until the container stops or ctx ends.
func Logs(ctx context.Context, conn Connection, opts LogsOptions) error {
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	fetch := opts.Fetch
	if fetch.Namespace == "" {
		fetch.Namespace = client.Namespace()
	}
	fetch.Client = client.http
	return logs.Fetch(ctx, client.target.Config.Host, fetch, opts.Stdout)
}
