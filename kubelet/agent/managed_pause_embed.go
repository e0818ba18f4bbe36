//go:build minikubelet_pause

package agent

import _ "embed"

// embeddedPauseArchive is the docker-archive that managed_pause_gen.go
// writes (`go generate ./kubelet/agent`; make build runs it).
//
//go:embed managed_pause.tar
var embeddedPauseArchive []byte
