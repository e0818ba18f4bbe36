//go:build !minikubelet_pause

package managed

// embeddedPauseArchive is empty in binaries built without the
// minikubelet_pause tag (plain `go build`): the managed containerd then
// pulls fallbackSandboxImage unless --sandbox-image names another.
var embeddedPauseArchive []byte
