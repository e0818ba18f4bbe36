package kubelet

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/logs"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// The kubelet's limits on a termination message.
const (
	maxTerminationMessageBytes = 4096
	fallbackLogLines           = 80
	fallbackLogBytes           = 2048
)

// terminationLogPath is the host file mounted at a container instance's
// terminationMessagePath.
func (k *Kubelet) terminationLogPath(pod *v1.Pod, name string, restartCount int) string {
	return filepath.Join(k.podDir(pod.UID), "containers", name, strconv.Itoa(restartCount)+"-termination-log")
}

// fillTerminationMessages gives each exited container the message it left
// in its termination log, or, with FallbackToLogsOnError and a failure,
// the end of its log, as the kubelet does.
func (k *Kubelet) fillTerminationMessages(ctx context.Context, pod *v1.Pod, obs *observedPod) {
	for i := range obs.Containers {
		c := &obs.Containers[i]
		if c.State != runtimeapi.ContainerState_CONTAINER_EXITED || c.Message != "" {
			continue
		}
		spec := specContainer(pod, c.Name)
		if spec == nil {
			continue
		}
		msg := readLimited(k.terminationLogPath(pod, c.Name, c.RestartCount), maxTerminationMessageBytes)
		if msg == "" && spec.TerminationMessagePolicy == v1.TerminationMessageFallbackToLogsOnError && c.ExitCode != 0 {
			path := filepath.Join(translate.PodLogDir(k.node(), pod), translate.ContainerLogPath(c.Name, c.RestartCount))
			var err error
			if msg, err = logTail(ctx, path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				k.log.Debug("reading the log for a termination message", "pod", podRef(pod, pod.UID), "container", c.Name, "err", err)
			}
		}
		c.Message = msg
	}
}

func specContainer(pod *v1.Pod, name string) *v1.Container {
	for _, list := range [][]v1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			return ephemeralSpec(&pod.Spec.EphemeralContainers[i])
		}
	}
	return nil
}

func readLimited(path string, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, limit))
	return string(data)
}

// logTail returns the end of a container's log as the kubelet's
// FallbackToLogsOnError gives it: the last 80 lines, of them the last 2048
// bytes. The read starts from the end of the log, so it costs the same
// whatever the log's size, and it refuses links a container planted.
func logTail(ctx context.Context, path string) (string, error) {
	last := &lastBytes{limit: fallbackLogBytes}
	opts := logs.Options{Tail: true, TailLines: fallbackLogLines}
	if _, err := logs.ReadLogs(ctx, logs.Request{Path: path, Options: opts, Unterminated: true}, last); err != nil {
		return "", err
	}
	return string(last.buf), nil
}

// lastBytes keeps the last limit bytes written to it.
type lastBytes struct {
	limit int
	buf   []byte
}

func (l *lastBytes) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p[max(0, len(p)-l.limit):]...)
	if excess := len(l.buf) - l.limit; excess > 0 {
		l.buf = append(l.buf[:0], l.buf[excess:]...)
	}
	return len(p), nil
}
