package kubelet

import (
	"context"
	"sort"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Names of the pod sources, as the kubelet's kubernetes.io/config.source
// annotation spells them.
const (
	SourceFile = "file"
	SourceAPI  = "api"
)

// A PodSource supplies desired pods: the manifest directory today, a
// Kubernetes API server next. Run delivers the source's complete set each
// time it changes, until ctx ends; the sync loop merges the latest set of
// every source by UID, remembering where each pod came from. It is the
// kubelet's PodConfig idea without its channel maze.
type PodSource interface {
	// Name says where pods come from, e.g. SourceFile.
	Name() string
	// Run calls deliver with every new complete set.
	Run(ctx context.Context, deliver func(SourceUpdate)) error
}

// SourceUpdate is one source's complete desired state.
type SourceUpdate struct {
	Source string
	Pods   []DesiredPod
	// Errors are manifests the source could not use.
	Errors []ManifestError
}

// DesiredPod is one pod a source asks for.
type DesiredPod struct {
	Pod *v1.Pod
	// Source is the name of the source that asks for it; set by the merge.
	Source string
	// File is the manifest that defines it, for the file source.
	File string
	// Stale marks the last good pod of a file that is invalid right now.
	Stale bool
	// Finished is the phase, Succeeded or Failed, of a pod its source
	// says has finished (the API server's status): the sync loop keeps
	// its stopped containers and logs until the source drops it, and never
	// starts anything of it again, as the kubelet terminates such a pod
	// rather than removing it. Empty for a pod that may run.
	Finished v1.PodPhase
}

// ManifestError is a manifest file the source could not use.
type ManifestError struct {
	File     string
	Messages []string
	Pods     []types.NamespacedName
}

// sourceSets holds the latest set of every source and knows when each
// expected source has delivered once: until then, pods in the runtime
// that no set names may belong to a source not read yet, so none is torn
// down.
type sourceSets struct {
	expected []string
	latest   map[string]SourceUpdate
}

func newSourceSets(expected []string) sourceSets {
	return sourceSets{expected: expected, latest: map[string]SourceUpdate{}}
}

// set records a source's update.
func (s *sourceSets) set(u SourceUpdate) { s.latest[u.Source] = u }

// complete reports whether every expected source (or, with none declared,
// any source) has delivered.
func (s *sourceSets) complete() bool {
	if len(s.expected) == 0 {
		return len(s.latest) > 0
	}
	for _, name := range s.expected {
		if _, ok := s.latest[name]; !ok {
			return false
		}
	}
	return true
}

// merged returns every source's pods, one per UID (the first source in
// name order wins a tie, which distinct sources' UIDs make theoretical),
// and every source's errors.
func (s *sourceSets) merged() ([]DesiredPod, []ManifestError) {
	names := make([]string, 0, len(s.latest))
	for name := range s.latest {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := map[types.UID]bool{}
	var pods []DesiredPod
	var errs []ManifestError
	for _, name := range names {
		u := s.latest[name]
		for _, p := range u.Pods {
			if seen[p.Pod.UID] {
				continue
			}
			seen[p.Pod.UID] = true
			p.Source = name
			pods = append(pods, p)
		}
		errs = append(errs, u.Errors...)
	}
	return pods, errs
}
