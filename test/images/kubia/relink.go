package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// relinkTool keeps symbolic links in place while something removes them:
// "kubia relink [-every D] TARGET LINK [TARGET LINK]...". Each LINK is made
// a link to TARGET, replacing whatever is at its name atomically (made
// beside it, then renamed over it). With -every it is remade every D until
// the process is killed, as a container racing the agent's log rotator
// would; the first failure of each link is reported, then it is retried.
func relinkTool(args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("kubia relink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	every := fs.Duration("every", 0, "remake the links at this interval until killed")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pairs := fs.Args()
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return usageError(stderr, "usage: kubia relink [-every D] TARGET LINK [TARGET LINK]...")
	}
	reported := map[string]bool{}
	for {
		for i := 0; i < len(pairs); i += 2 {
			err := replaceWithSymlink(pairs[i], pairs[i+1])
			if err != nil && *every <= 0 {
				return failure(stderr, err)
			}
			if err != nil && !reported[pairs[i+1]] {
				reported[pairs[i+1]] = true
				fmt.Fprintf(stderr, "kubia: %v (retrying every %s)\n", err, *every)
			}
		}
		if *every <= 0 {
			return 0
		}
		time.Sleep(*every)
	}
}

// replaceWithSymlink makes link a symbolic link to target.
func replaceWithSymlink(target, link string) error {
	tmp := link + ".kubia-relink"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("relink %s: %w", link, err)
	}
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("relink %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("relink %s: %w", link, err)
	}
	return nil
}
