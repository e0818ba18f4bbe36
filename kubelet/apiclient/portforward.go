package apiclient

import (
	"context"

	"github.com/minikubelet/minikubelet/kubelet/portforward"
)

// PortForward forwards local ports to the pod's until ctx ends or the pod
// goes. The connection fills opts' Server, Namespace, Token and TLSConfig.
func PortForward(ctx context.Context, conn Connection, opts portforward.Options) error {
	target, err := conn.Resolve()
	if err != nil {
		return err
	}
	if opts.TLSConfig, err = target.TLSConfig(); err != nil {
		return err
	}
	opts.Server, opts.Namespace, opts.Token = target.Server, target.Namespace, target.Config.BearerToken
	return portforward.Run(ctx, opts)
}
