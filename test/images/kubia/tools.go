package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tool is one subcommand: it gets the arguments after its name and returns
// the exit code (0 success, 1 failure, 2 usage error).
type tool func(args []string, stdout, stderr io.Writer) int

// tools maps argv[1] to the subcommand that handles it, so manifests can say
// command: ["/kubia", "get", "http://..."].
var tools = map[string]tool{
	"get":   getTool,
	"check": checkTool,
	"write": writeTool,
	"cat":   catTool,
	"rm":    rmTool,
	"ln":    lnTool,
	"id":    idTool,
	"sleep": sleepTool,
	"help":  helpTool,

	// relink races the agent: tests keep a link in place while it works.
	"relink": relinkTool,

	// What exec and cp tests run: kubectl cp runs tar and test by those
	// names (the image links /tar and /test to kubia; see multiCall).
	"tar":  tarTool,
	"test": testTool,
	"repl": replTool,
}

// multiCall are the tools run by their own name through a link to the
// binary, as busybox does.
var multiCall = []string{"tar", "test"}

func usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "kubia: "+format+"\n", args...)
	return 2
}

func failure(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "kubia: %v\n", err)
	return 1
}

func helpTool(_ []string, stdout, _ io.Writer) int {
	printUsage(stdout)
	return 0
}

func getTool(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kubia get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "usage: kubia get [-timeout D] URL")
	}
	url := fs.Arg(0)
	client := &http.Client{Timeout: *timeout}
	resp, err := client.Get(url)
	if err != nil {
		return failure(stderr, fmt.Errorf("GET %s: %w", url, err))
	}
	defer resp.Body.Close()
	if _, err := io.Copy(stdout, resp.Body); err != nil {
		return failure(stderr, fmt.Errorf("GET %s: read body: %w", url, err))
	}
	if resp.StatusCode >= 400 {
		return failure(stderr, fmt.Errorf("GET %s: status %s", url, resp.Status))
	}
	return 0
}

func checkTool(args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 {
		return usageError(stderr, "usage: kubia check [FILE]")
	}
	file := defaultUnhealthyFile
	if len(args) == 1 {
		file = args[0]
	}
	_, err := os.Stat(file)
	switch {
	case err == nil:
		fmt.Fprintf(stdout, "%s exists\n", file)
		return 1
	case errors.Is(err, os.ErrNotExist):
		return 0
	default:
		return failure(stderr, fmt.Errorf("check %s: %w", file, err))
	}
}

func writeTool(args []string, _, stderr io.Writer) int {
	if len(args) < 2 {
		return usageError(stderr, "usage: kubia write FILE TEXT...")
	}
	file, text := args[0], strings.Join(args[1:], " ")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return failure(stderr, fmt.Errorf("write %s: %w", file, err))
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return failure(stderr, fmt.Errorf("write %s: %w", file, err))
	}
	return 0
}

func catTool(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, "usage: kubia cat FILE...")
	}
	for _, file := range args {
		content, err := os.ReadFile(file)
		if err != nil {
			return failure(stderr, fmt.Errorf("cat: %w", err))
		}
		if _, err := stdout.Write(content); err != nil {
			return failure(stderr, fmt.Errorf("cat %s: %w", file, err))
		}
	}
	return 0
}

func rmTool(args []string, _, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, "usage: kubia rm FILE...")
	}
	code := 0
	for _, file := range args {
		if err := os.Remove(file); err != nil {
			code = failure(stderr, fmt.Errorf("rm: %w", err))
		}
	}
	return code
}

// lnTool makes symbolic links only, as "ln -s" does; -s is required so a
// manifest reads like the shell command it stands for. Tests use it to
// plant links in volumes and log directories.
func lnTool(args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("kubia ln", flag.ContinueOnError)
	fs.SetOutput(stderr)
	symbolic := fs.Bool("s", false, "make a symbolic link (required)")
	force := fs.Bool("f", false, "remove LINK first (a file, a link or an empty directory)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !*symbolic || fs.NArg() != 2 {
		return usageError(stderr, "usage: kubia ln -s [-f] TARGET LINK")
	}
	target, link := fs.Arg(0), fs.Arg(1)
	if *force {
		if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
			return failure(stderr, fmt.Errorf("ln: %w", err))
		}
	}
	if err := os.Symlink(target, link); err != nil {
		return failure(stderr, fmt.Errorf("ln: %w", err))
	}
	return 0
}

func idTool(args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		return usageError(stderr, "usage: kubia id")
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return failure(stderr, fmt.Errorf("id: %w", err))
	}
	report, err := describeIdentity(string(status))
	if err != nil {
		return failure(stderr, fmt.Errorf("id: %w", err))
	}
	fmt.Fprint(stdout, report)
	return 0
}

func sleepTool(args []string, _, stderr io.Writer) int {
	if len(args) != 1 {
		return usageError(stderr, "usage: kubia sleep DURATION")
	}
	if args[0] == "infinity" {
		// A timer, not select{}: with no goroutine runnable the Go runtime
		// would abort a bare select{} as a deadlock.
		for {
			time.Sleep(time.Hour)
		}
	}
	d, err := parseSleep(args[0])
	if err != nil {
		return usageError(stderr, "sleep: %v", err)
	}
	time.Sleep(d)
	return 0
}

// parseSleep accepts a Go duration ("1.5s") or plain seconds ("3"), as
// coreutils sleep does.
func parseSleep(text string) (time.Duration, error) {
	if seconds, err := strconv.ParseFloat(text, 64); err == nil {
		if seconds < 0 {
			return 0, fmt.Errorf("duration %q is negative", text)
		}
		return time.Duration(seconds * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want a Go duration (1.5s, 2m) or seconds", text)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", text)
	}
	return d, nil
}
