package agent

import (
	"context"
	"errors"

	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/metrics"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// fileSource adapts the manifest directory to the sync loop's PodSource,
// and counts manifest errors as it hands them over.
type fileSource struct {
	source  *staticpods.Source
	metrics *metrics.Kubelet
}

func (fileSource) Name() string { return kubelet.SourceFile }

// Run watches the directory and delivers every snapshot.
func (f fileSource) Run(ctx context.Context, deliver func(kubelet.SourceUpdate)) error {
	watchErr := make(chan error, 1)
	go func() { watchErr <- f.source.Run(ctx) }()
	for {
		select {
		case err := <-watchErr:
			if err == nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		case snap := <-f.source.Updates():
			deliver(f.update(snap))
		}
	}
}

// update translates a snapshot, and records which files have errors.
func (f fileSource) update(snap staticpods.Snapshot) kubelet.SourceUpdate {
	update := kubelet.SourceUpdate{Source: kubelet.SourceFile,
		Pods:   make([]kubelet.DesiredPod, 0, len(snap.Pods)),
		Errors: make([]kubelet.ManifestError, 0, len(snap.Errors))}
	for _, p := range snap.Pods {
		update.Pods = append(update.Pods, kubelet.DesiredPod{Pod: p.Pod, File: p.File, Stale: p.Stale})
	}
	files := make([]string, 0, len(snap.Errors))
	for _, e := range snap.Errors {
		update.Errors = append(update.Errors, kubelet.ManifestError{File: e.File, Messages: e.Messages, Pods: e.Pods})
		files = append(files, e.File)
	}
	f.metrics.SetManifestErrors(files)
	return update
}
