package apiclient

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// cleanLocal is a local path without a trailing separator, so its base
// is the file or directory named.
func cleanLocal(p string) string { return filepath.Clean(p) }

// writeTar archives the local file or tree at src for `tar -xmf -` in the
// container: its members are named from destBase (the destination's last
// element) down, as kubectl names them. Links are archived as links.
func writeTar(w io.Writer, src, destBase string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(src, func(file string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, file)
		if err != nil {
			return err
		}
		return addLocalEntry(tw, file, path.Join(destBase, filepath.ToSlash(rel)))
	})
	if err != nil {
		return fmt.Errorf("archiving %s: %w", src, err)
	}
	return tw.Close()
}

func addLocalEntry(tw *tar.Writer, file, name string) error {
	info, err := os.Lstat(file)
	if err != nil {
		return err
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(file); err != nil {
			return err
		}
	}
	header, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	header.Name = name
	if info.IsDir() {
		header.Name += "/"
	}
	if err := tw.WriteHeader(header); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}

// archivePrefix is how `tar cf - remote` names the members it writes:
// relative, cleaned, without leading "../", as kubectl expects them.
func archivePrefix(remote string) string {
	p := path.Clean(strings.TrimLeft(remote, "/"))
	for strings.HasPrefix(p, "../") {
		p = strings.TrimPrefix(p, "../")
	}
	if p == "." || p == ".." {
		return ""
	}
	return p
}

// readTar unpacks what the container's tar sent into dest: a member named
// prefix becomes dest itself, prefix/x becomes dest/x. The container is
// not trusted: a member outside prefix ends the copy, one that would land
// outside dest is skipped, links are skipped (as kubectl skips them), and
// no file is written through a link.
func readTar(r io.Reader, prefix, dest string, warn io.Writer) error {
	tr := tar.NewReader(r)
	for {
		header, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the archive from the container: %w", err)
		}
		if !strings.HasPrefix(header.Name, prefix) {
			return fmt.Errorf("tar contents corrupted: member %q is not under %q", header.Name, prefix)
		}
		target, ok := localTarget(dest, header.Name[len(prefix):])
		if !ok {
			fmt.Fprintf(warn, "warning: file %q is outside target destination, skipping\n", header.Name)
			continue
		}
		if err := extractLocal(tr, header, target, warn); err != nil {
			return err
		}
	}
}

// localTarget joins a member's remainder to dest; false when the result
// leaves dest.
func localTarget(dest, rest string) (string, bool) {
	target := filepath.Join(dest, filepath.FromSlash(path.Clean("/"+rest)))
	rel, err := filepath.Rel(dest, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return target, true
}

func extractLocal(tr *tar.Reader, header *tar.Header, target string, warn io.Writer) error {
	mode := header.FileInfo().Mode()
	switch {
	case mode.IsDir():
		return os.MkdirAll(target, 0o755)
	case mode&fs.ModeSymlink != 0:
		fmt.Fprintf(warn, "warning: skipping symlink: %q -> %q\n", target, header.Linkname)
		return nil
	case !mode.IsRegular():
		fmt.Fprintf(warn, "warning: skipping %q: not a regular file\n", header.Name)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_NOFOLLOW, mode.Perm())
	if err != nil {
		return fmt.Errorf("writing %s: %w", target, err)
	}
	if _, err := io.Copy(f, tr); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", target, err)
	}
	return f.Close()
}
