package logs

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
)

// compressFile replaces stem by stem.gz in dir. It writes a temporary file
// and renames it, so readers never see a half-written .gz, and removes the
// plain file last: a reader that listed it can still open one or the
// other. The plain file must be a regular file, and the temporary one is
// created afresh, so a link planted at either name is never read or
// written through.
func compressFile(dir *dirHandle, stem string) (err error) {
	src, err := dir.open(stem)
	if err != nil {
		return fmt.Errorf("compressing log: %w", err)
	}
	defer src.Close()
	tmp := stem + compressedSuffix + tmpSuffix
	dst, err := createReplacing(dir, tmp)
	if err != nil {
		return fmt.Errorf("compressing log: %w", err)
	}
	defer func() {
		if err != nil {
			dst.Close()
			dir.remove(tmp)
		}
	}()
	// A node agent is shorter of CPU than of disk; BestSpeed still shrinks
	// text logs several times.
	zipper, err := gzip.NewWriterLevel(dst, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("compressing log %s: %w", src.Name(), err)
	}
	if _, err := io.Copy(zipper, src); err != nil {
		return fmt.Errorf("compressing log %s: %w", src.Name(), err)
	}
	if err := errors.Join(zipper.Close(), dst.Sync(), dst.Close()); err != nil {
		return fmt.Errorf("compressing log %s: %w", src.Name(), err)
	}
	if err := dir.rename(tmp, stem+compressedSuffix); err != nil {
		return fmt.Errorf("compressing log: %w", err)
	}
	if err := dir.remove(stem); err != nil {
		return fmt.Errorf("removing compressed log: %w", err)
	}
	return nil
}

// createReplacing creates entry afresh. Something already there was left
// by a crash or planted since removeStaleTemps ran; it is removed (as
// itself, a link included) and the creation tried once more.
func createReplacing(dir *dirHandle, entry string) (*os.File, error) {
	f, err := dir.create(entry)
	if !errors.Is(err, fs.ErrExist) {
		return f, err
	}
	if err := dir.remove(entry); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return dir.create(entry)
}

// removeStaleTemps deletes compressions a crash interrupted; clean says
// none is left (the listing and every removal worked).
func removeStaleTemps(dir *dirHandle, live string, logger *slog.Logger) (clean bool) {
	names, err := dir.namesWithPrefix(live + ".")
	if err != nil {
		logger.Warn("listing stale temporary logs", "dir", dir.path, "err", err)
		return false
	}
	clean = true
	for _, name := range names {
		if !strings.HasSuffix(name, tmpSuffix) {
			continue
		}
		if err := dir.remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			logger.Warn("removing stale temporary log", "file", dir.name(name), "err", err)
			clean = false
		}
	}
	return clean
}
