package kubelet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	v1 "k8s.io/api/core/v1"
)

// ensureEtcHosts writes the pod's /etc/hosts when it is missing, before
// containers start in an existing sandbox. The file is written when the
// sandbox is made; if that write failed (a full --root-dir, the agent
// killed in between) the sandbox is there but the file is not, and
// containers must neither start without it nor with a half-written one.
func (k *Kubelet) ensureEtcHosts(pod *v1.Pod, ips []string) error {
	if _, err := os.Stat(k.etcHostsPath(pod)); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return k.writeEtcHosts(pod, ips)
}

// writeHostsFile writes a pod's /etc/hosts whole or not at all: into a
// temporary file renamed over path, so a failed write (a full disk) leaves
// no truncated file to be mounted.
func writeHostsFile(path string, data []byte) error {
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, data, 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing the pod's /etc/hosts: %w", err)
	}
	return nil
}
