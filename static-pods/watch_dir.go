package staticpods

import "time"

// The manifest directory's own name is followed in its parent directory
// (dirWatch), so that a directory deleted and made again, or a symlink to
// it swapped for another (config-management tools deploy a new version so:
// the directory is a symlink to versions/N, replaced with a rename), is
// seen at once and the watch moves to what the name holds now. A watch is
// on an inode: without this it stays on the old directory, or on nothing,
// until the next relist.

// followReplacedDir moves the watch to what the directory's name holds now
// and reads it, after an event said it was replaced. It reports whether
// the directory is watched.
func (s *Source) followReplacedDir(w *dirWatch, watching bool) bool {
	if !s.dirReplaced {
		return watching
	}
	s.dirReplaced = false
	watching = w.add() == nil
	s.log.Info("manifest directory replaced; following the new one", "dir", s.dir, "watching", watching)
	s.relistDir(eager, time.Now())
	return watching
}
