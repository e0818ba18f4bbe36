package main

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
)

// tarTool is the `tar` that kubectl cp runs in the container (the image
// links /tar to kubia, and PATH is /): `tar cf - PATH...` to copy out,
// `tar [--no-same-permissions] [--no-same-owner] -xmf - [-C DIR]` to copy
// in. It knows those flags (and v) and nothing else.
func tarTool(args []string, stdout, stderr io.Writer) int {
	opts, err := parseTarArgs(args)
	if err != nil {
		return usageError(stderr, "tar: %v", err)
	}
	if opts.create {
		err = writeTar(stdout, stderr, opts.paths)
	} else {
		err = extractTar(os.Stdin, opts)
	}
	if err != nil {
		return failure(stderr, fmt.Errorf("tar: %w", err))
	}
	return 0
}

type tarOptions struct {
	create, extract bool
	// sameOwner and samePermissions are GNU tar's defaults for root.
	sameOwner, samePermissions bool
	dir                        string
	paths                      []string
}

// parseTarArgs reads GNU tar's old style ("cf -") and short options
// ("-xmf -", "-C DIR"); the archive must be "-" (stdin or stdout).
func parseTarArgs(args []string) (tarOptions, error) {
	opts := tarOptions{sameOwner: true, samePermissions: true}
	archive := ""
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--no-same-owner":
			opts.sameOwner = false
			continue
		case arg == "--no-same-permissions":
			opts.samePermissions = false
			continue
		case strings.HasPrefix(arg, "--"):
			return opts, fmt.Errorf("unknown option %s (this tar knows c, x, f, m, v, C, --no-same-owner, --no-same-permissions)", arg)
		case i > 0 && !strings.HasPrefix(arg, "-"):
			opts.paths = append(opts.paths, arg)
			continue
		}
		for _, letter := range strings.TrimPrefix(arg, "-") {
			switch letter {
			case 'c':
				opts.create = true
			case 'x':
				opts.extract = true
			case 'm', 'v':
			case 'f', 'C':
				if i+1 >= len(args) {
					return opts, fmt.Errorf("option %c needs a value", letter)
				}
				i++
				if letter == 'f' {
					archive = args[i]
				} else {
					opts.dir = args[i]
				}
			default:
				return opts, fmt.Errorf("unknown option %c (this tar knows c, x, f, m, v, C)", letter)
			}
		}
	}
	switch {
	case opts.create == opts.extract:
		return opts, errors.New("give exactly one of c (create) and x (extract)")
	case archive != "-":
		return opts, errors.New(`the archive must be "-" (f -): this tar reads stdin and writes stdout only`)
	case opts.create && len(opts.paths) == 0:
		return opts, errors.New("c needs the paths to archive")
	}
	return opts, nil
}

// writeTar archives the paths as GNU tar names them: relative, with a
// leading "/" removed (and said so on stderr, as GNU tar does).
func writeTar(out, stderr io.Writer, paths []string) error {
	tw := tar.NewWriter(out)
	warned := false
	for _, root := range paths {
		if strings.HasPrefix(root, "/") && !warned {
			fmt.Fprintln(stderr, "tar: Removing leading `/' from member names")
			warned = true
		}
		err := filepath.WalkDir(root, func(file string, entry fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return addTarEntry(tw, file)
		})
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

func addTarEntry(tw *tar.Writer, file string) error {
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
	header.Name = strings.TrimLeft(path.Clean(filepath.ToSlash(file)), "/")
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

// extractTar unpacks in opts.dir. Names that would land outside it (".."
// or absolute after cleaning) are refused, as GNU tar refuses them.
func extractTar(in io.Reader, opts tarOptions) error {
	base := opts.dir
	if base == "" {
		base = "."
	}
	tr := tar.NewReader(in)
	for {
		header, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimLeft(header.Name, "/"))
		if name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("%s: member name leaves the target directory", header.Name)
		}
		if err := extractEntry(tr, header, filepath.Join(base, name), opts); err != nil {
			return fmt.Errorf("%s: %w", header.Name, err)
		}
	}
}

func extractEntry(tr *tar.Reader, header *tar.Header, target string, opts tarOptions) error {
	mode := fs.FileMode(header.Mode).Perm()
	if !opts.samePermissions {
		mode &^= 0o022 // the usual umask
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	switch header.Typeflag {
	case tar.TypeDir:
		if err := os.MkdirAll(target, mode); err != nil {
			return err
		}
	case tar.TypeSymlink:
		_ = os.Remove(target)
		if err := os.Symlink(header.Linkname, target); err != nil {
			return err
		}
	case tar.TypeReg:
		// Replace, never write through, what is there: it may be a link.
		_ = os.Remove(target)
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Chmod(target, mode); err != nil {
			return err
		}
	default:
		return fmt.Errorf("entry type %q is not supported by this tar", header.Typeflag)
	}
	if opts.sameOwner && os.Geteuid() == 0 {
		return os.Lchown(target, header.Uid, header.Gid)
	}
	return nil
}

// testTool is the `test -d|-f|-e PATH` that kubectl cp runs to see
// whether its destination is a directory.
func testTool(args []string, _, stderr io.Writer) int {
	if len(args) != 2 {
		return usageError(stderr, "usage: test -d|-f|-e PATH")
	}
	info, err := os.Stat(args[1])
	if err != nil {
		return 1
	}
	ok := false
	switch args[0] {
	case "-d":
		ok = info.IsDir()
	case "-f":
		ok = info.Mode().IsRegular()
	case "-e":
		ok = true
	default:
		return usageError(stderr, "test: unknown test %s; this test knows -d, -f and -e", args[0])
	}
	if ok {
		return 0
	}
	return 1
}
