package staticpods

// writeState says what the events seen for a file tell about its content.
type writeState int

const (
	// contentComplete: the file was closed after writing (IN_CLOSE_WRITE),
	// renamed into place, removed, or changed otherwise: read it.
	contentComplete writeState = iota
	// contentWriting: it was created or written (IN_CREATE, IN_MODIFY) and
	// no close has been seen since, so what it holds may be the first part
	// of what its writer means.
	contentWriting
)

// dirEvent is one change in the watched directory.
type dirEvent struct {
	// name is the file's base name; "" means the directory itself.
	name string
	// state is what the event says about the file's content.
	state writeState
	// dirGone says the directory itself went away (removed or renamed),
	// which ends the watch until it is added again.
	dirGone bool
	// dirReplaced says the directory's name, followed in its parent, now
	// holds a new directory or symlink: the watch must move to it.
	dirReplaced bool
	// attribOnly marks a change of permissions or owner alone, which cannot
	// change what the file says.
	attribOnly bool
	// overflow says events were lost: the directory must be re-listed.
	overflow bool
}
