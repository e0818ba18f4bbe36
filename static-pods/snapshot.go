package staticpods

import (
	"path/filepath"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Snapshot is the desired state read from the manifest directory at one
// moment. Snapshots are shared between readers: treat them, and the pods
// they point to, as read-only.
type Snapshot struct {
	Pods   []StaticPod // desired pods, sorted by namespace/name
	Errors []FileError // one entry per file with problems, sorted by file
}

// StaticPod is one desired pod and the manifest that defines it.
type StaticPod struct {
	// Pod is defaulted and validated, with its UID and the annotations
	// AnnotationConfigSource, AnnotationConfigHash and AnnotationManifestFile set.
	Pod *v1.Pod
	// File is the absolute path of the manifest.
	File string
	// Stale is true while the file is invalid and this is its last good pod,
	// kept running so that a broken edit does not take a pod down.
	Stale bool
}

// FileError holds every problem found in one manifest file.
type FileError struct {
	// File is the path of the manifest.
	File string
	// Messages are sentences for people, each
	// "<basename>: <field path>: <problem> (<hint>)".
	Messages []string
	// Errors are the same problems in structured form, in the same order as
	// Messages, for API clients.
	Errors field.ErrorList
	// Pods names the pods this file tried to define, when they could be
	// read, so a broken file's pod can be shown together with its error.
	Pods []types.NamespacedName
}

// Error returns the messages joined, so a FileError can travel as an error.
func (e *FileError) Error() string {
	return strings.Join(e.Messages, "; ")
}

// add appends one problem; prefix (such as "document 2: ") goes between
// the file name and the problem.
func (e *FileError) add(prefix string, p problem) {
	e.Messages = append(e.Messages, filepath.Base(e.File)+": "+prefix+p.msg)
	e.Errors = append(e.Errors, p.err)
}

// clone returns a copy whose slices can be appended to without touching e.
func (e *FileError) clone() *FileError {
	return &FileError{
		File:     e.File,
		Messages: append([]string(nil), e.Messages...),
		Errors:   append(field.ErrorList(nil), e.Errors...),
		Pods:     append([]types.NamespacedName(nil), e.Pods...),
	}
}
