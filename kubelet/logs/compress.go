package logs

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// compressFile replaces path by path.gz. It writes a temporary file and
// renames it, so readers never see a half-written .gz, and removes the
// plain file last: a reader that listed it can still open one or the other.
func compressFile(path string) (err error) {
	src, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("compressing log: %w", err)
	}
	defer src.Close()
	tmp := path + compressedSuffix + tmpSuffix
	dst, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("compressing log: %w", err)
	}
	defer func() {
		if err != nil {
			dst.Close()
			os.Remove(tmp)
		}
	}()
	// A node agent is shorter of CPU than of disk; BestSpeed still shrinks
	// text logs several times.
	zipper, err := gzip.NewWriterLevel(dst, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("compressing log %s: %w", path, err)
	}
	if _, err := io.Copy(zipper, src); err != nil {
		return fmt.Errorf("compressing log %s: %w", path, err)
	}
	if err := errors.Join(zipper.Close(), dst.Sync(), dst.Close()); err != nil {
		return fmt.Errorf("compressing log %s: %w", path, err)
	}
	if err := os.Rename(tmp, path+compressedSuffix); err != nil {
		return fmt.Errorf("compressing log: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing compressed log: %w", err)
	}
	return nil
}

// removeStaleTemps deletes compressions a crash interrupted.
func removeStaleTemps(live string, logger *slog.Logger) {
	dir, base := filepath.Split(live)
	matches, _ := filepath.Glob(filepath.Join(dir, base+".*"+tmpSuffix))
	for _, name := range matches {
		if !strings.HasSuffix(name, tmpSuffix) {
			continue
		}
		if err := os.Remove(name); err != nil {
			logger.Warn("removing stale temporary log", "file", name, "err", err)
		}
	}
}
