package agent

import (
	"log/slog"

	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/apipods"
	"github.com/minikubelet/minikubelet/kubelet/eventrecorder"
	"github.com/minikubelet/minikubelet/kubelet/mirror"
)

// newEventRecorder makes the recorder that posts the events of this node's
// cluster pods and static pods (against their mirror pods, found among the
// pods bound to this node) to the API server; cluster.run runs it.
func newEventRecorder(nodeName string, api *apipods.Source, log *slog.Logger) *eventrecorder.Recorder {
	return eventrecorder.New(eventrecorder.Config{
		NodeName: nodeName, Mirror: api.MirrorOf, Logger: log.With("component", "events"),
	})
}

// podEvents hands the sync loop's pod events to r: a cluster pod's as
// they are, a static pod's against its mirror pod's name.
func podEvents(r *eventrecorder.Recorder, nodeName string) func(kubelet.PodEvent) {
	return func(e kubelet.PodEvent) {
		if e.Source != kubelet.SourceAPI && e.Source != kubelet.SourceFile {
			return
		}
		static := e.Source == kubelet.SourceFile
		pe := eventrecorder.PodEvent{
			Pod: e.Pod, Static: static, Container: e.Container,
			Type: e.Type, Reason: e.Reason, Message: e.Message, Time: e.Time,
		}
		if static {
			pe.MirrorName, pe.MirrorHash = mirror.Name(e.Pod.Name, nodeName), mirror.ConfigHash(e.Pod)
		}
		r.Pod(pe)
	}
}
