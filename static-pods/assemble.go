package staticpods

import (
	"cmp"
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// snapshot assembles the desired state from every file's state. When two
// files define the same pod, the file that has defined it the longest keeps
// it (on the first listing, the file whose name sorts first); the other
// file gets an error naming the owner.
func (s *Source) snapshot() Snapshot {
	paths := make([]string, 0, len(s.files))
	for path := range s.files {
		paths = append(paths, path)
	}
	slices.SortFunc(paths, func(a, b string) int {
		return cmp.Compare(s.files[a].firstSeen, s.files[b].firstSeen)
	})
	owners := s.podOwners(paths)

	var snap Snapshot
	for _, path := range paths {
		state := s.files[path]
		ferr := state.err
		for _, pod := range state.pods {
			name := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
			if owner := owners[name]; owner != path {
				ferr = withClash(ferr, path, name, owner)
				continue
			}
			snap.Pods = append(snap.Pods, StaticPod{Pod: pod, File: path, Stale: state.err != nil})
		}
		if ferr != nil {
			snap.Errors = append(snap.Errors, *ferr)
		}
	}
	slices.SortFunc(snap.Pods, func(a, b StaticPod) int {
		return cmp.Or(cmp.Compare(a.Pod.Namespace, b.Pod.Namespace), cmp.Compare(a.Pod.Name, b.Pod.Name))
	})
	slices.SortFunc(snap.Errors, func(a, b FileError) int { return cmp.Compare(a.File, b.File) })
	return snap
}

// podOwners picks, for every pod name, the file that keeps it: the one that
// began defining it first. paths is ordered by first appearance, which
// breaks ties.
func (s *Source) podOwners(paths []string) map[types.NamespacedName]string {
	owners := map[types.NamespacedName]string{}
	ownedSince := map[types.NamespacedName]uint64{}
	for _, path := range paths {
		for name, since := range s.files[path].since {
			if _, taken := owners[name]; !taken || since < ownedSince[name] {
				owners[name], ownedSince[name] = path, since
			}
		}
	}
	return owners
}

// withClash adds "pod x is already defined by <owner>" to a file's errors,
// copying them so the file's own state is left as it was.
func withClash(ferr *FileError, path string, name types.NamespacedName, owner string) *FileError {
	if ferr == nil {
		ferr = &FileError{File: path}
	} else {
		ferr = ferr.clone()
	}
	ferr.add("", problem{
		err: &field.Error{Type: field.ErrorTypeDuplicate, Field: "metadata.name", BadValue: name.String(),
			Detail: "already defined by " + owner},
		msg: fmt.Sprintf("pod %s is already defined by %s", name, filepath.Base(owner)),
	})
	if !slices.Contains(ferr.Pods, name) {
		ferr.Pods = append(ferr.Pods, name)
	}
	return ferr
}

// sameSnapshot reports whether two snapshots ask for the same thing, so an
// edit that changes nothing (a comment, a rewrite of the same content)
// publishes nothing.
func sameSnapshot(a, b Snapshot) bool {
	// The UID covers all of a pod but its labels and annotations, which
	// change in place.
	samePod := func(x, y StaticPod) bool {
		return x.Pod.UID == y.Pod.UID && x.File == y.File && x.Stale == y.Stale &&
			maps.Equal(x.Pod.Labels, y.Pod.Labels) && maps.Equal(x.Pod.Annotations, y.Pod.Annotations)
	}
	sameError := func(x, y FileError) bool {
		return x.File == y.File && slices.Equal(x.Messages, y.Messages) && slices.Equal(x.Pods, y.Pods)
	}
	return slices.EqualFunc(a.Pods, b.Pods, samePod) && slices.EqualFunc(a.Errors, b.Errors, sameError)
}
