//go:build minikubelet_pause

package managed

import _ "embed"

// embeddedPauseArchive is the docker-archive that pause_gen.go
// writes (`go generate ./cri/managed`; make build runs it).
//
//go:embed pause.tar
var embeddedPauseArchive []byte
