package staticpods

import (
	"crypto/sha256"
	"errors"
	"slices"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// fileState is what the source knows about one manifest file.
type fileState struct {
	firstSeen uint64                          // sequence number when the file appeared; orders files
	digest    [sha256.Size]byte               // of the content (or read error) last committed
	pods      []*v1.Pod                       // last good pods; stale while err is set
	err       *FileError                      // problems of the current content, nil when good
	since     map[types.NamespacedName]uint64 // when the file began defining each pod, to settle name clashes
}

// readMode says how to treat a file that cannot be used as it is.
type readMode int

const (
	// eager publishes good content at once but holds back a failure (bad
	// content, or the file gone) until the file has been quiet for the
	// debounce period: it may be an editor's save in progress.
	eager readMode = iota
	// settled commits whatever the file holds now.
	settled
	// writing is eager for a file an event says was written and not
	// closed: its content may be the first part of a write (writers.go).
	writing
	// forced is eager even while a writer holds the file open.
	forced
)

// pendingRead is a failing file waiting to be quiet before it is reported.
type pendingRead struct {
	due    time.Time
	digest [sha256.Size]byte // what failed; a change restarts the wait
	// failure is what decoding that content gave, so the settled re-read
	// (and a relist meanwhile) does not decode the same bytes again: a
	// hostile file would cost twice.
	failure *FileError
}

// goneDigest stands for "no file" in pendingRead.
var goneDigest = sha256.Sum256([]byte("no manifest at this path"))

// readFile reads a manifest and applies the result, as mode says.
func (s *Source) readFile(path string, mode readMode, now time.Time) {
	state := s.files[path]
	data, writers, readErr := readManifestUnlessWritten(path, mode != forced)
	if errors.Is(readErr, errNotManifest) {
		delete(s.writing, path)
		switch {
		case state == nil:
			delete(s.pending, path)
		case mode != settled:
			s.holdBack(path, goneDigest, nil, now)
		default:
			s.removeFile(path)
		}
		return
	}
	if s.awaitWrite(path, mode, writers, now) {
		return
	}
	digest := contentDigest(data, readErr)
	if state != nil && state.digest == digest {
		delete(s.pending, path) // back to what was committed: nothing to report
		return
	}
	var pods []*v1.Pod
	var ferr *FileError
	if held, ok := s.pending[path]; ok && held.digest == digest && held.failure != nil {
		ferr = held.failure
	} else {
		pods, ferr = s.decode(path, data, readErr)
	}
	if ferr != nil && mode != settled {
		s.holdBack(path, digest, ferr, now)
		return
	}
	delete(s.pending, path)
	s.commit(path, digest, pods, ferr)
}

// holdBack schedules a failing file to be re-read once it has been quiet
// for the debounce period. Reading the same failure again (a relist) does
// not restart the wait; a change does.
func (s *Source) holdBack(path string, digest [sha256.Size]byte, failure *FileError, now time.Time) {
	if held, ok := s.pending[path]; ok && held.digest == digest {
		return
	}
	s.pending[path] = pendingRead{due: now.Add(s.debounce), digest: digest, failure: failure}
}

func contentDigest(data []byte, readErr error) [sha256.Size]byte {
	if readErr != nil {
		return sha256.Sum256([]byte("read error: " + readErr.Error()))
	}
	return sha256.Sum256(data)
}

func (s *Source) decode(path string, data []byte, readErr error) ([]*v1.Pod, *FileError) {
	if readErr != nil {
		ferr := &FileError{File: path}
		ferr.add("", fileProblem("%s", readErr.Error()))
		return nil, ferr
	}
	return DecodeManifest(path, data, s.nodeName)
}

// settleDue re-reads, in settled mode, the failing files whose quiet period
// has passed, and reads the files whose write has had time to complete.
func (s *Source) settleDue(now time.Time) {
	for path, held := range s.pending {
		if !held.due.After(now) {
			s.readFile(path, settled, now)
		}
	}
	s.readDueWrites(now)
}

// nextPending returns the earliest pending re-read, if any.
func (s *Source) nextPending() (time.Time, bool) {
	var next time.Time
	for _, held := range s.pending {
		if next.IsZero() || held.due.Before(next) {
			next = held.due
		}
	}
	for _, wait := range s.writing {
		if next.IsZero() || wait.due.Before(next) {
			next = wait.due
		}
	}
	return next, !next.IsZero()
}

// commit records a file's new content. Good content replaces its pods; bad
// content keeps the last good pods (now stale) beside the error.
func (s *Source) commit(path string, digest [sha256.Size]byte, pods []*v1.Pod, ferr *FileError) {
	state := s.files[path]
	if state == nil {
		s.sequence++
		state = &fileState{firstSeen: s.sequence, since: map[types.NamespacedName]uint64{}}
		s.files[path] = state
	}
	state.digest = digest
	state.err = ferr
	if ferr != nil {
		return // logged when the snapshot carrying it is published
	}
	state.pods = pods
	since := make(map[types.NamespacedName]uint64, len(pods))
	for _, pod := range pods {
		name := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
		if first, ok := state.since[name]; ok {
			since[name] = first
		} else {
			s.sequence++
			since[name] = s.sequence
		}
	}
	state.since = since
	s.log.Info("static pod manifest loaded", "file", path, "pods", podNames(pods))
}

func (s *Source) removeFile(path string) {
	delete(s.pending, path)
	if state := s.files[path]; state != nil {
		delete(s.files, path)
		s.log.Info("static pod manifest removed", "file", path, "pods", podNames(state.pods))
	}
}

func podNames(pods []*v1.Pod) []string {
	names := make([]string, len(pods))
	for i, pod := range pods {
		names[i] = pod.Namespace + "/" + pod.Name
	}
	slices.Sort(names)
	return names
}
