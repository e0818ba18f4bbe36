package soak

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Kind is one sort of pod the soak churns, each taking a different path
// through the agent.
type Kind string

const (
	// KindPlain is one container that serves until deleted.
	KindPlain Kind = "plain"
	// KindInit runs two init containers, which pass a file through an
	// emptyDir, before its app container.
	KindInit Kind = "init"
	// KindSharedDir has two containers sharing an emptyDir: one writes a
	// file from its postStart hook, the other is ready once it reads it.
	KindSharedDir Kind = "shared-dir"
	// KindCrashLoop's container exits with code 1 as soon as it starts,
	// so the agent restarts it with back-off until the pod is deleted.
	KindCrashLoop Kind = "crash-loop"
	// KindFailingLiveness serves, but its liveness probe always fails, so
	// the agent kills and restarts it.
	KindFailingLiveness Kind = "failing-liveness"
	// KindHostPort maps a port of the host to its container (portmap).
	KindHostPort Kind = "host-port"
	// KindDeletedStarting is a plain pod whose manifest is removed while
	// the agent is still starting it.
	KindDeletedStarting Kind = "deleted-starting"
	// KindEdited is a plain pod whose manifest is edited while it runs,
	// once or twice; each edit is a new pod (a new UID) to the agent.
	KindEdited Kind = "edited"
)

// mix is how often each kind comes up, in sixteenths.
var mix = []struct {
	kind   Kind
	weight int
}{
	{KindPlain, 4},
	{KindInit, 2},
	{KindSharedDir, 2},
	{KindCrashLoop, 1},
	{KindFailingLiveness, 1},
	{KindHostPort, 2},
	{KindDeletedStarting, 2},
	{KindEdited, 2},
}

// Kinds lists every kind, in the mix's order.
func Kinds() []Kind {
	kinds := make([]Kind, len(mix))
	for i, m := range mix {
		kinds[i] = m.kind
	}
	return kinds
}

// PickKind draws a kind with the mix's weights, from only the given
// kinds when there are some.
func PickKind(r *rand.Rand, only []Kind) Kind {
	total := 0
	for _, m := range mix {
		if len(only) == 0 || slices.Contains(only, m.kind) {
			total += m.weight
		}
	}
	n := r.IntN(total)
	for _, m := range mix {
		if len(only) > 0 && !slices.Contains(only, m.kind) {
			continue
		}
		if n < m.weight {
			return m.kind
		}
		n -= m.weight
	}
	panic("unreachable: n < total")
}

// ContainersMayBeDown says whether the kind's app container is expected
// to be found exited or waiting at any moment (killed by its probe, or
// between crashes), so an inventory must not want it running.
func (k Kind) ContainersMayBeDown() bool {
	return k == KindCrashLoop || k == KindFailingLiveness
}

// KindLabel is the label every soak pod carries with its kind.
const KindLabel = "soak-kind"

// Manifest is one version of one soak pod's manifest.
type Manifest struct {
	Kind  Kind
	Name  string
	Image string
	// HostPort is the host port of a KindHostPort pod.
	HostPort int
	// Edit is the generation of an edited pod: each value gives a
	// different pod spec, so a new pod to the agent.
	Edit int
}

// YAML renders the manifest.
func (m Manifest) YAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels: {%s: %s}
spec:
  terminationGracePeriodSeconds: 2
`, m.Name, KindLabel, m.Kind)
	switch m.Kind {
	case KindInit:
		fmt.Fprintf(&b, `  volumes:
  - {name: work, emptyDir: {}}
  initContainers:
  - name: first
    image: %[1]s
    command: ["/kubia", "write", "/work/first", "1"]
    volumeMounts: [{name: work, mountPath: /work}]
  - name: second
    image: %[1]s
    command: ["/kubia", "cat", "/work/first"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: %[1]s
    volumeMounts: [{name: work, mountPath: /work}]
`, m.Image)
	case KindSharedDir:
		fmt.Fprintf(&b, `  volumes:
  - {name: shared, emptyDir: {}}
  containers:
  - name: web
    image: %[1]s
    volumeMounts: [{name: shared, mountPath: /shared}]
    lifecycle:
      postStart:
        exec: {command: ["/kubia", "write", "/shared/note", "hello"]}
  - name: side
    image: %[1]s
    args: ["-listen", ":9090"]
    volumeMounts: [{name: shared, mountPath: /data}]
    readinessProbe:
      exec: {command: ["/kubia", "cat", "/data/note"]}
      periodSeconds: 2
`, m.Image)
	case KindCrashLoop:
		fmt.Fprintf(&b, `  containers:
  - name: crash
    image: %s
    env: [{name: KUBIA_EXIT_CODE, value: "1"}]
`, m.Image)
	case KindFailingLiveness:
		// /healthz answers 500 while the -unhealthy-file exists, and
		// the binary itself always does.
		fmt.Fprintf(&b, `  containers:
  - name: kubia
    image: %s
    args: ["-unhealthy-file", "/kubia"]
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 1
      failureThreshold: 1
`, m.Image)
	case KindHostPort:
		fmt.Fprintf(&b, `  containers:
  - name: kubia
    image: %s
    ports:
    - {containerPort: 8080, hostPort: %d}
`, m.Image, m.HostPort)
	default: // plain, deleted while starting, edited
		fmt.Fprintf(&b, `  containers:
  - name: kubia
    image: %s
    env: [{name: SOAK_EDIT, value: "%d"}]
`, m.Image, m.Edit)
	}
	return b.String()
}
