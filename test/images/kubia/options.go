package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// envPrefix turns a flag name into its environment variable: -log-lines is
// also KUBIA_LOG_LINES, so a manifest can choose a behaviour with either
// args or env.
const envPrefix = "KUBIA_"

// Default paths of the probe switch files; the files do not exist unless a
// test creates them (kubia write /tmp/unhealthy x), so the defaults are inert.
const (
	defaultUnhealthyFile = "/tmp/unhealthy"
	defaultUnreadyFile   = "/tmp/unready"
)

// options holds every behaviour the server mode can be asked for.
type options struct {
	listen        string
	extraListen   string
	udpEcho       string
	logLines      int
	logInterval   time.Duration
	logStderr     bool
	logPartial    bool
	exitCode      int
	exitAfter     time.Duration
	exitRequested bool
	ignoreSigterm bool
	sigtermFile   string
	allocMiB      int
	busyMillis    int
	unhealthyFile string
	unreadyFile   string
}

// extraListenAddrs splits the comma-separated -extra-listen value.
func (o options) extraListenAddrs() []string {
	var addrs []string
	for _, addr := range strings.Split(o.extraListen, ",") {
		if addr = strings.TrimSpace(addr); addr != "" {
			addrs = append(addrs, addr)
		}
	}
	return addrs
}

func newFlagSet(o *options, usageOut io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kubia", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.StringVar(&o.listen, "listen", ":8080", "HTTP listen `addr`; 127.0.0.1:9090 binds pod-localhost only")
	fs.StringVar(&o.extraListen, "extra-listen", "", "more HTTP listen `addrs`, comma-separated (e.g. :8081)")
	fs.StringVar(&o.udpEcho, "udp-echo", "", "UDP `addr` to echo datagrams back on (e.g. :5353)")
	fs.IntVar(&o.logLines, "log-lines", 0, "print `N` numbered lines (line 1 .. line N) at start")
	fs.DurationVar(&o.logInterval, "log-interval", 0, "pause between the start-up log lines")
	fs.BoolVar(&o.logStderr, "log-stderr", false, "print the start-up log lines to stderr instead of stdout")
	fs.BoolVar(&o.logPartial, "log-partial", false, "print the last start-up log line without a newline")
	fs.IntVar(&o.exitCode, "exit-code", 0, "exit with this `code` once the start-up log lines are out (and -exit-after has passed)")
	fs.DurationVar(&o.exitAfter, "exit-after", 0, "exit this long after the start-up log lines, with -exit-code")
	fs.BoolVar(&o.ignoreSigterm, "ignore-sigterm", false, "log SIGTERM and keep running (the runtime must SIGKILL)")
	fs.StringVar(&o.sigtermFile, "sigterm-file", "", "write this marker `file` when SIGTERM arrives")
	fs.IntVar(&o.allocMiB, "alloc-mib", 0, "allocate and touch `N` MiB of memory at start and hold it (OOM tests)")
	fs.IntVar(&o.busyMillis, "busy-millicores", 0, "keep about `N` millicores of CPU busy while serving (top tests)")
	fs.StringVar(&o.unhealthyFile, "unhealthy-file", defaultUnhealthyFile, "/healthz answers 500 while this `file` exists")
	fs.StringVar(&o.unreadyFile, "unready-file", defaultUnreadyFile, "/ready answers 500 while this `file` exists")
	return fs
}

// envName is the environment variable that sets the same option as a flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseOptions reads options from the environment first and from args
// second, so a flag given in args wins over the same setting in env.
func parseOptions(args []string, getenv func(string) string, usageOut io.Writer) (options, error) {
	var o options
	fs := newFlagSet(&o, usageOut)
	fs.Usage = func() { printUsage(usageOut) }
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		value := getenv(envName(f.Name))
		if value == "" || envErr != nil {
			return
		}
		if err := fs.Set(f.Name, value); err != nil {
			envErr = fmt.Errorf("environment variable %s=%q: %w (see kubia -help)", envName(f.Name), value, err)
		}
	})
	if envErr != nil {
		return options{}, envErr
	}
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q: server options are flags, subcommands come first (see kubia -help)", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "exit-code" || f.Name == "exit-after" {
			o.exitRequested = true
		}
	})
	return o, validateOptions(o)
}

func validateOptions(o options) error {
	switch {
	case o.logLines < 0:
		return fmt.Errorf("-log-lines (KUBIA_LOG_LINES) is %d: give 0 or more lines", o.logLines)
	case o.allocMiB < 0:
		return fmt.Errorf("-alloc-mib (KUBIA_ALLOC_MIB) is %d: give 0 or more MiB", o.allocMiB)
	case o.busyMillis < 0:
		return fmt.Errorf("-busy-millicores (KUBIA_BUSY_MILLICORES) is %d: give 0 or more millicores", o.busyMillis)
	case o.exitCode < 0 || o.exitCode > 255:
		return fmt.Errorf("-exit-code (KUBIA_EXIT_CODE) is %d: give a code from 0 to 255", o.exitCode)
	case o.logInterval < 0 || o.exitAfter < 0:
		return fmt.Errorf("-log-interval and -exit-after must not be negative")
	}
	return nil
}
