package apiclient

import (
	"context"
	"fmt"
	"io"

	v1 "k8s.io/api/core/v1"
)

// AttachOptions are the inputs of `attach`, kubectl's flags.
type AttachOptions struct {
	Pod       string
	Container string
	// Stdin is -i, TTY -t, Quiet -q.
	Stdin, TTY, Quiet bool
	Protocol          Protocol
	In                io.Reader
	Out, ErrOut       io.Writer
}

// Attach joins a running container's main process: its output, and with
// -i its input, until the process ends or ctx does.
func Attach(ctx context.Context, conn Connection, opts AttachOptions) error {
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	pod, err := client.GetPod(ctx, client.Namespace(), opts.Pod)
	if err != nil {
		return err
	}
	if pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed {
		return fmt.Errorf("cannot attach a container in a completed pod; current phase is %s", pod.Status.Phase)
	}
	container, err := pickContainer(pod, opts.Container, opts.Quiet, opts.ErrOut)
	if err != nil {
		return err
	}
	// A terminal is the container's, not the client's, choice: attach to
	// a container started with tty as a terminal, as kubectl does.
	tty := opts.TTY
	switch {
	case tty && !container.TTY:
		tty = false
		if !opts.Quiet {
			fmt.Fprintf(opts.ErrOut, "error: Unable to use a TTY - container %s did not allocate one\n", container.Name)
		}
	case !tty && container.TTY:
		tty = true
	}
	term := openTerminal(opts.In, opts.Out, tty, opts.Stdin)
	if term != nil && !opts.Quiet {
		fmt.Fprintln(opts.ErrOut, "If you don't see a command prompt, try pressing enter.")
	}
	streams := streamsFor(opts.Stdin, tty, opts.In, opts.Out, opts.ErrOut)
	req := client.rest.Post().Namespace(pod.Namespace).Resource("pods").Name(pod.Name).SubResource("attach").
		Param("container", container.Name)
	return client.stream(ctx, withStreamParams(req, streams).URL().String(), opts.Protocol, streams, term)
}
