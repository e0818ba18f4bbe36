package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/server"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// Run starts the agent and blocks until ctx ends or a part fails. Pods are
// left running when it returns, like the kubelet's.
func Run(ctx context.Context, opts Options) error {
	log, err := newLogger(opts)
	if err != nil {
		return err
	}
	if opts.NodeName == "" {
		if opts.NodeName, err = os.Hostname(); err != nil {
			return fmt.Errorf("finding the node name: %w (set --node-name)", err)
		}
	}
	log.Debug("effective configuration", "options", fmt.Sprintf("%+v", opts))

	runtime, err := cri.Dial(ctx, cri.Config{Endpoint: opts.RuntimeEndpoint, Logger: log.With("component", "cri")})
	if err != nil {
		return err
	}
	defer runtime.Close(context.Background())
	log.Info("runtime ready", "endpoint", runtime.Endpoint(), "runtime", runtime.RuntimeName(), "version", runtime.RuntimeVersion())

	source, err := staticpods.NewSource(staticpods.Config{
		Dir: opts.ManifestDir, NodeName: opts.NodeName, Relist: opts.ManifestRelist,
		Logger: log.With("component", "manifests"),
	})
	if err != nil {
		return err
	}
	kl, err := kubelet.New(kubelet.Config{
		Runtime: runtime, Images: runtime, RuntimeName: runtime.RuntimeName(),
		NodeName: opts.NodeName, RootDir: opts.RootDir, PodLogDir: opts.PodLogDir,
		CgroupParent: opts.CgroupParent, RelistPeriod: opts.RelistPeriod,
		Logger: log.With("component", "kubelet"),
	})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s for the agent API: %w (is another minikubelet running? set --listen)", opts.Listen, err)
	}
	srv := &http.Server{Handler: server.New(server.Config{Pods: kl, Logger: log}), ReadHeaderTimeout: 10 * time.Second}
	log.Info("API listening", "address", "http://"+listener.Addr().String())

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return source.Run(ctx) })
	g.Go(func() error { return kl.Run(ctx) })
	g.Go(func() error { feedDesired(ctx, source, kl); return nil })
	g.Go(func() error { return serveHTTP(ctx, srv, listener, log) })
	err = g.Wait()
	log.Info("agent stopped; pods keep running")
	return err
}

// feedDesired hands every manifest snapshot to the sync loop.
func feedDesired(ctx context.Context, source *staticpods.Source, kl *kubelet.Kubelet) {
	for {
		select {
		case <-ctx.Done():
			return
		case snap := <-source.Updates():
			pods := make([]kubelet.DesiredPod, 0, len(snap.Pods))
			for _, p := range snap.Pods {
				pods = append(pods, kubelet.DesiredPod{Pod: p.Pod, File: p.File, Stale: p.Stale})
			}
			errs := make([]kubelet.ManifestError, 0, len(snap.Errors))
			for _, e := range snap.Errors {
				errs = append(errs, kubelet.ManifestError{File: e.File, Messages: e.Messages, Pods: e.Pods})
			}
			kl.SetDesired(pods, errs)
		}
	}
}

func serveHTTP(ctx context.Context, srv *http.Server, l net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving the agent API: %w", err)
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			log.Warn("API shutdown", "err", err)
		}
		return nil
	}
}
