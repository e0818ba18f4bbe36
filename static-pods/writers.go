package staticpods

import "time"

// A manifest written in several writes (a shell's `{ …; …; } > file`, a
// paste into `cat > file`) holds a valid first part for a while; acting on
// it would run a pod the user never wrote, then replace it. So the source
// reads a file only once its write is complete:
//   - a file that was closed after writing (IN_CLOSE_WRITE) or renamed
//     into place is complete;
//   - a file that anyone has open for writing is not read (holdReadLease
//     asks the kernel); it is read when the writer closes it, or, if the
//     writer keeps it open, once it has had no write for WriterQuiet;
//   - where the kernel cannot tell (no lease: a file someone else owns, a
//     file system without leases), a file written and not yet closed is
//     read once it has had no write for Settle.

// Defaults for Config.Settle and Config.WriterQuiet.
const (
	DefaultSettle      = 250 * time.Millisecond
	DefaultWriterQuiet = 20 * time.Second
)

// writerStatus is what the kernel said about writers of a file as it was
// read.
type writerStatus int

const (
	// writersUnknown: it could not tell (or nothing was opened).
	writersUnknown writerStatus = iota
	// writersNone: nobody had the file open for writing during the read.
	writersNone
	// writersPresent: someone has it open for writing.
	writersPresent
)

// A writer's close is queued as IN_CLOSE_WRITE before the kernel stops
// counting the file as open for writing, so a file read right after that
// event may still show its writer for a moment. Files with a writer are
// therefore checked again, soon and then less often, until the writer is
// gone or WriterQuiet has passed without a write.
const (
	firstWriterCheck = 10 * time.Millisecond
	maxWriterCheck   = time.Second
)

// writeWait is a file whose write may not be complete.
type writeWait struct {
	// due is when to look again.
	due time.Time
	// writer says a writer held the file open at the last look; otherwise
	// the kernel could not tell, and due ends the settle time.
	writer bool
	// lastWrite is when the last write event (or the first look) came.
	lastWrite time.Time
	// recheck is the current interval between looks at a held file.
	recheck time.Duration
}

// awaitWrite decides, after a read attempt, whether the file's content may
// be unfinished. If so it schedules the file to be read again and returns
// true, and the caller commits nothing. A write event (mode writing)
// restarts the wait; a relist or a timer does not.
func (s *Source) awaitWrite(path string, mode readMode, writers writerStatus, now time.Time) bool {
	old, waiting := s.writing[path]
	var wait writeWait
	switch {
	case writers == writersPresent && mode != forced:
		wait = writeWait{writer: true, lastWrite: now, recheck: firstWriterCheck}
		if waiting && old.writer && mode != writing {
			wait.lastWrite, wait.recheck = old.lastWrite, min(old.recheck*2, maxWriterCheck)
		}
		wait.due = now.Add(wait.recheck)
		if quiet := wait.lastWrite.Add(s.writerQuiet); quiet.Before(wait.due) {
			wait.due = quiet
		}
		if !waiting || !old.writer {
			s.log.Debug("static pod manifest is open for writing; reading it when the writer closes it", "file", path)
		}
	case writers == writersUnknown && mode == writing:
		wait = writeWait{due: now.Add(s.settle), lastWrite: now}
	default:
		delete(s.writing, path)
		return false
	}
	s.writing[path] = wait
	delete(s.pending, path) // whatever failed before, newer content is coming
	return true
}

// readDueWrites looks again at the files whose wait has ended.
func (s *Source) readDueWrites(now time.Time) {
	for path, wait := range s.writing {
		switch {
		case wait.due.After(now):
		case wait.writer && now.Sub(wait.lastWrite) >= s.writerQuiet:
			delete(s.writing, path)
			s.log.Warn("static pod manifest is still open for writing but has not been written for a while; reading it as it is",
				"file", path, "quiet", s.writerQuiet)
			s.readFile(path, forced, now)
		default:
			s.readFile(path, eager, now)
		}
	}
}
