package kubelet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

func TestFillTerminationMessages(t *testing.T) {
	const logLine = "2024-05-01T10:00:00.000000000Z stderr F panic: out of disk\n"
	tests := []struct {
		name       string
		policy     v1.TerminationMessagePolicy
		container  observedContainer
		written    string // the termination log's content; "" writes none
		log        string // the container's log; "" writes none
		wantPrefix string
		wantLen    int
	}{
		{name: "the message the container wrote", container: ctr("c1", "s1", "a", exited, 0, 1),
			written: "config invalid: port", wantPrefix: "config invalid: port", wantLen: 20},
		{name: "a long message is cut at 4096 bytes", container: ctr("c1", "s1", "a", exited, 0, 1),
			written: strings.Repeat("x", 10000), wantPrefix: "xxx", wantLen: maxTerminationMessageBytes},
		{name: "nothing written, File policy: no message", container: ctr("c1", "s1", "a", exited, 0, 1), log: logLine},
		{name: "nothing written, FallbackToLogsOnError and a failure: the log's end",
			policy: v1.TerminationMessageFallbackToLogsOnError, container: ctr("c1", "s1", "a", exited, 0, 1), log: logLine,
			wantPrefix: "panic: out of disk", wantLen: len("panic: out of disk\n")},
		{name: "FallbackToLogsOnError after a success: no message",
			policy: v1.TerminationMessageFallbackToLogsOnError, container: ctr("c1", "s1", "a", exited, 0, 0), log: logLine},
		{name: "FallbackToLogsOnError without a log: no message",
			policy: v1.TerminationMessageFallbackToLogsOnError, container: ctr("c1", "s1", "a", exited, 0, 1)},
		{name: "the written message wins over the log", policy: v1.TerminationMessageFallbackToLogsOnError,
			container: ctr("c1", "s1", "a", exited, 0, 1), written: "bye", log: logLine, wantPrefix: "bye", wantLen: 3},
		{name: "a running container has none yet", container: ctr("c1", "s1", "a", running, 0, 0), written: "early"},
		{name: "the instance's own log: restart 2 reads 2-termination-log", container: ctr("c3", "s1", "a", exited, 2, 1),
			written: "third", wantPrefix: "third", wantLen: 5},
		{name: "a message the runtime gave is kept", container: func() observedContainer {
			c := ctr("c1", "s1", "a", exited, 0, 1)
			c.Message = "from the runtime"
			return c
		}(), written: "ignored", wantPrefix: "from the runtime", wantLen: 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := hostKubelet(t)
			pod := testPod(v1.RestartPolicyAlways, nil, "a")
			pod.Spec.Containers[0].TerminationMessagePolicy = tt.policy
			if tt.written != "" {
				path := k.terminationLogPath(pod, "a", tt.container.RestartCount)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				writeFile(t, path, tt.written)
			}
			if tt.log != "" {
				path := filepath.Join(translate.PodLogDir(k.node(), pod), translate.ContainerLogPath("a", tt.container.RestartCount))
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				writeFile(t, path, tt.log)
			}
			obs := &observedPod{Containers: []observedContainer{tt.container}}
			k.fillTerminationMessages(t.Context(), pod, obs)
			got := obs.Containers[0].Message
			if len(got) != tt.wantLen || !strings.HasPrefix(got, tt.wantPrefix) {
				t.Errorf("message %.60q (%d bytes), want %d bytes starting %q", got, len(got), tt.wantLen, tt.wantPrefix)
			}
		})
	}
}
