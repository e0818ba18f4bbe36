package kubelet

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
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

// terminationMount creates the instance's empty termination log, writable
// by any user the container may run as, and mounts it.
func (k *Kubelet) terminationMount(pod *v1.Pod, c *v1.Container, restartCount int) (*runtimeapi.Mount, error) {
	if c.TerminationMessagePath == "" {
		return nil, nil
	}
	path := k.terminationLogPath(pod, c.Name, restartCount)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating termination log directory: %w", err)
	}
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		return nil, fmt.Errorf("creating termination log: %w", err)
	}
	if err := os.Chmod(path, 0o666); err != nil { // umask must not narrow it
		return nil, fmt.Errorf("opening termination log: %w", err)
	}
	return &runtimeapi.Mount{ContainerPath: c.TerminationMessagePath, HostPath: path}, nil
}

// fillTerminationMessages gives each exited container the message it left
// in its termination log, or, with FallbackToLogsOnError and a failure,
// the end of its log, as the kubelet does.
func (k *Kubelet) fillTerminationMessages(pod *v1.Pod, obs *observedPod) {
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
			msg = logTail(filepath.Join(k.podLogDir(pod), c.Name, strconv.Itoa(c.RestartCount)+".log"))
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

// logTail returns the last lines of a CRI-format log as the container
// wrote them (timestamp, stream and tag stripped), within the kubelet's
// line and byte limits.
func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > fallbackLogLines {
		lines = lines[len(lines)-fallbackLogLines:]
	}
	var out bytes.Buffer
	for _, line := range lines {
		// <time> <stream> <P|F> <message>
		fields := bytes.SplitN(line, []byte(" "), 4)
		if len(fields) < 4 {
			continue
		}
		out.Write(fields[3])
		if string(fields[2]) == "F" {
			out.WriteByte('\n')
		}
	}
	msg := out.Bytes()
	if len(msg) > fallbackLogBytes {
		msg = msg[len(msg)-fallbackLogBytes:]
	}
	return string(msg)
}
