package staticpods

import (
	"fmt"
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

// FileError holds the problems found in one manifest file: the first
// maxProblems of them, then one line saying how many more were found.
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

	// omitted counts the problems past maxProblems, which are not kept.
	omitted int
	// summed says the last entry of Messages and Errors sums them up.
	summed bool
}

// Error returns the messages joined, so a FileError can travel as an error.
func (e *FileError) Error() string {
	return strings.Join(e.Messages, "; ")
}

// Problems returns the messages without the file name that starts each,
// for callers that name the file, or the pod, themselves.
func (e *FileError) Problems() []string {
	label := fileLabel(e.File) + ": "
	problems := make([]string, len(e.Messages))
	for i, message := range e.Messages {
		problems[i] = strings.TrimPrefix(message, label)
	}
	return problems
}

// fileLabel names the file in messages: its base name, which a file
// system bounds, but the API names files after pods, whose names are
// checked only later.
func fileLabel(file string) string {
	return Shorten(filepath.Base(file), maxFileNameBytes)
}

// room says how many more problems the file lists before it only counts.
func (e *FileError) room() int {
	return max(0, maxProblems-e.listed())
}

func (e *FileError) listed() int {
	if e.summed {
		return len(e.Messages) - 1
	}
	return len(e.Messages)
}

// add appends one problem, or only counts it once maxProblems are listed;
// prefix (such as "document 2: ") goes between the file name and the
// problem.
func (e *FileError) add(prefix string, p problem) {
	if e.room() == 0 {
		e.addOmitted(1)
		return
	}
	e.unsum()
	message := Shorten(fileLabel(e.File)+": "+prefix+Shorten(p.msg, maxMessageBytes), maxMessageBytes)
	e.Messages = append(e.Messages, message)
	e.Errors = append(e.Errors, shortenField(p.err))
	e.sum()
}

// shortenField bounds a structured error's field path, which names map
// keys of the file and so can be as long as the file.
func shortenField(fe *field.Error) *field.Error {
	if fe == nil || len(fe.Field) <= maxMessageBytes {
		return fe
	}
	short := *fe
	short.Field = Shorten(fe.Field, maxMessageBytes)
	return &short
}

// addOmitted counts problems that were found but not formatted.
func (e *FileError) addOmitted(n int) {
	if n <= 0 {
		return
	}
	e.unsum()
	e.omitted += n
	e.sum()
}

// sum appends the line that says how many problems are not listed. The
// checks that stop early leave some uncounted, hence "at least".
func (e *FileError) sum() {
	if e.omitted == 0 {
		return
	}
	detail := fmt.Sprintf("…and at least %d more problems (only the first %d are listed; fix these and look again)",
		e.omitted, maxProblems)
	e.Messages = append(e.Messages, fileLabel(e.File)+": "+detail)
	e.Errors = append(e.Errors, &field.Error{Type: field.ErrorTypeTooMany, Detail: detail})
	e.summed = true
}

func (e *FileError) unsum() {
	if e.summed {
		e.Messages = e.Messages[:len(e.Messages)-1]
		e.Errors = e.Errors[:len(e.Errors)-1]
		e.summed = false
	}
}

// clone returns a copy whose slices can be appended to without touching e.
func (e *FileError) clone() *FileError {
	return &FileError{
		File:     e.File,
		Messages: append([]string(nil), e.Messages...),
		Errors:   append(field.ErrorList(nil), e.Errors...),
		Pods:     append([]types.NamespacedName(nil), e.Pods...),
		omitted:  e.omitted,
		summed:   e.summed,
	}
}
