package cni

import "golang.org/x/sys/unix"

// reachableNetNS returns path if it is a network namespace this process
// can enter, else "". The sandbox of a leaked address is gone, so its
// namespace usually is too, or is a bare file: a runtime killed mid
// RunPodSandbox leaves its pin, and one in another mount namespace (CRI-O
// in the test bed) shows it here unmounted. The bridge plugin then fails
// DEL ("unknown FS magic") and the address would leak forever; without a
// namespace, CNI DEL still releases what the plugins hold on the host, as
// the CNI spec asks of plugins for a namespace that is gone.
func reachableNetNS(path string) string {
	if path == "" {
		return ""
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(path, &fs); err != nil || fs.Type != unix.NSFS_MAGIC {
		return ""
	}
	return path
}
