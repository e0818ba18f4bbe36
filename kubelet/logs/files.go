package logs

import (
	"cmp"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

const (
	// rotatedTimeLayout is kubelet's rotation suffix plus microseconds, so
	// names stay unique and sortable when a file rotates twice a second.
	rotatedTimeLayout        = "20060102-150405.000000"
	kubeletRotatedTimeLayout = "20060102-150405"
	compressedSuffix         = ".gz"
	// tmpSuffix marks a compression in progress; such files are never read
	// and are removed by the rotator if a crash left them behind.
	tmpSuffix = ".tmp"
)

// rotatedFile is one earlier part of a container instance's log.
type rotatedFile struct {
	// stem is the uncompressed name "<n>.log.<timestamp>" in the log
	// directory; the file is stem or stem+".gz" depending on compressed.
	stem       string
	rotatedAt  time.Time
	compressed bool
}

// path returns where the file is now.
func (f rotatedFile) path() string {
	if f.compressed {
		return f.stem + compressedSuffix
	}
	return f.stem
}

// rotatedPath returns the name the live log file gets when rotated at t.
func rotatedPath(live string, t time.Time) string {
	return live + "." + t.UTC().Format(rotatedTimeLayout)
}

// listRotated returns the rotated files of the live log file named live,
// oldest first. While the rotator compresses a file both forms exist for a
// moment; the plain one is complete and wins.
func listRotated(dir *dirHandle, live string) ([]rotatedFile, error) {
	names, err := dir.namesWithPrefix(live + ".")
	if err != nil {
		return nil, fmt.Errorf("listing rotated logs of %s: %w", dir.name(live), err)
	}
	byStem := map[string]rotatedFile{}
	for _, name := range names {
		f, ok := parseRotatedName(live, name)
		if !ok {
			continue
		}
		if seen, dup := byStem[f.stem]; dup && !seen.compressed {
			continue
		}
		byStem[f.stem] = f
	}
	files := make([]rotatedFile, 0, len(byStem))
	for _, f := range byStem {
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b rotatedFile) int {
		return cmp.Or(a.rotatedAt.Compare(b.rotatedAt), strings.Compare(a.stem, b.stem))
	})
	return files, nil
}

// parseRotatedName recognises "<base>.<timestamp>[.gz]" and returns the
// file with its stem relative to the directory.
func parseRotatedName(base, name string) (rotatedFile, bool) {
	suffix, ok := strings.CutPrefix(name, base+".")
	if !ok || strings.HasSuffix(suffix, tmpSuffix) {
		return rotatedFile{}, false
	}
	f := rotatedFile{stem: name}
	if stamp, gz := strings.CutSuffix(suffix, compressedSuffix); gz {
		suffix, f.compressed, f.stem = stamp, true, strings.TrimSuffix(name, compressedSuffix)
	}
	for _, layout := range []string{rotatedTimeLayout, kubeletRotatedTimeLayout} {
		if t, err := time.Parse(layout, suffix); err == nil {
			f.rotatedAt = t
			return f, true
		}
	}
	return rotatedFile{}, false
}

// openRotated opens a rotated file for reading, decompressing if needed.
// The rotator may compress a plain file between listing and opening, so a
// vanished plain file is looked for again as .gz. It returns
// fs.ErrNotExist when the file was pruned meanwhile.
func openRotated(dir *dirHandle, f rotatedFile) (io.ReadCloser, error) {
	if !f.compressed {
		file, err := dir.open(f.stem)
		if !errors.Is(err, fs.ErrNotExist) {
			return file, err
		}
	}
	file, err := dir.open(f.stem + compressedSuffix)
	if err != nil {
		return nil, err
	}
	unzipped, err := gzip.NewReader(file)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("reading compressed log %s: %w", file.Name(), err)
	}
	return &gzipFile{Reader: unzipped, file: file}, nil
}

// gzipFile closes both the decompressor and the file under it.
type gzipFile struct {
	*gzip.Reader
	file *os.File
}

func (g *gzipFile) Close() error {
	return errors.Join(g.Reader.Close(), g.file.Close())
}
