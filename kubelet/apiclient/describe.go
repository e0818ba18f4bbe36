package apiclient

import (
	"context"
	"io"
	"time"
)

// DescribeOptions are the inputs of `describe`.
type DescribeOptions struct {
	// Resource is pods (or pod, po); Name the pod's name.
	Resource, Name string
	Stdout         io.Writer
	// Now is the clock ages are counted to; nil means time.Now.
	Now func() time.Time
}

// Describe prints a pod as `kubectl describe pod` does, with its manifest
// file and, when that file is invalid, its errors.
func Describe(ctx context.Context, conn Connection, opts DescribeOptions) error {
	if err := checkPodsResource(opts.Resource); err != nil {
		return err
	}
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	pod, err := client.GetPod(ctx, client.Namespace(), opts.Name)
	if err != nil {
		return err
	}
	events, err := client.PodEvents(ctx, pod)
	if err != nil {
		return err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	describePod(opts.Stdout, pod, events, now())
	return nil
}
