// Command kubia is the HTTP test app of minikubelet's end-to-end tests.
//
// With no subcommand it serves HTTP on :8080 and answers every request with
// "You've hit <hostname>", logging one line per request; flags or KUBIA_*
// environment variables switch on behaviours the tests need (log lines,
// exit codes, ignoring SIGTERM, memory hogging, a steady CPU load, failing
// probes, more ports).
// The image has no shell, so the same binary also carries the small tools
// tests run with crictl exec, kubectl exec or exec probes: kubia get,
// check, write, cat, rm, id, sleep, repl, and the tar and test that
// kubectl cp runs (linked as /tar and /test). Run kubia -help for the full
// text.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

const usageHead = `kubia — minikubelet's test app.

Usage:
  kubia [flags]              serve HTTP (default :8080): "You've hit <hostname>"
  kubia get [-timeout D] URL HTTP GET URL, print the body; exit 1 on error or status >= 400
  kubia check [FILE]         exit 1 if FILE exists, else 0 (default FILE ` + defaultUnhealthyFile + `)
  kubia write FILE TEXT...   write TEXT (words joined by spaces) to FILE, creating its directory
  kubia cat FILE...          print the files
  kubia rm FILE...           remove the files (exit 1 if one is missing)
  kubia ln -s [-f] TARGET LINK  make LINK a symbolic link to TARGET (-f: replace a file, link or empty dir)
  kubia id                   print uid, gid, groups, capability sets, no_new_privs, seccomp mode
  kubia sleep DURATION       sleep (Go duration like 1.5s, plain seconds, or "infinity")
  kubia tar cf - PATH... | -xmf - [-C DIR]
                             the tar kubectl cp runs (also as /tar); flags c, x, f -, m, v, C,
                             --no-same-owner, --no-same-permissions
  kubia test -d|-f|-e PATH   exit 0 if PATH is a directory, a file, exists (also as /test)
  kubia repl                 answer lines: "size" prints the terminal's ROWSxCOLS, "exit N"
                             exits N, others are echoed; prints "resized ROWSxCOLS" on SIGWINCH
  kubia relink [-every D] TARGET LINK...
                             make each LINK a symlink to TARGET, replacing what is there;
                             with -every, again every D until killed (tests racing the agent)

Endpoints: / answers "You've hit <hostname>"; /healthz and /ready answer
200 "ok", or 500 while their switch file exists; /bytes?n=N answers N bytes
where byte i is i mod 251 (a data source for throughput tests).

Server flags (each also settable by the environment variable shown; a flag
wins over its variable):
`

func main() {
	if name := filepath.Base(os.Args[0]); slices.Contains(multiCall, name) {
		os.Exit(tools[name](os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches on the first argument and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		tool, ok := tools[args[0]]
		if !ok {
			fmt.Fprintf(stderr, "kubia: unknown subcommand %q; run kubia -help for the list\n", args[0])
			return 2
		}
		return tool(args[1:], stdout, stderr)
	}
	opts, err := parseOptions(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "kubia: %v\n", err)
		return 2
	}
	hostname, err := os.Hostname()
	if err != nil {
		fmt.Fprintf(stderr, "kubia: read hostname: %v\n", err)
		return 1
	}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(signals)
	return newServer(opts, hostname, stdout, stderr).run(context.Background(), signals)
}

// printUsage writes the usage text, listing each server flag with its
// environment variable so manifests can pick either.
func printUsage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	var o options
	newFlagSet(&o, io.Discard).VisitAll(func(f *flag.Flag) {
		valueName, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  -%s %s  (env %s)\n      %s", f.Name, valueName, envName(f.Name), usage)
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}
