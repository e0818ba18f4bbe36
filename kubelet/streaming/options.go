package streaming

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Bounds on a command, checked before anything else is done for it. The
// HTTP server's header limit bounds the URL already; these keep a command
// to what a person types or a script passes.
const (
	maxCommandArgs  = 4096
	maxCommandBytes = 256 << 10
)

// Streams says which of the process's standard streams the client wants
// and whether it is a terminal.
type Streams struct {
	Stdin, Stdout, Stderr, TTY bool
}

// Options are what an exec or attach request asks for, from its query.
type Options struct {
	Streams
	// Container is ?container= (the API's form); the kubelet's routes
	// name it in the path instead.
	Container string
	// Command is exec's command and arguments; attach has none.
	Command []string
}

// parseOptions reads a request's query. Both the kubelet's parameter
// names (input, output, error, as kube-apiserver sends them on) and the
// API's (stdin, stdout, stderr, as kubectl sends them) are accepted. A
// terminal merges stderr into stdout, so stderr is dropped with tty, as
// the kubelet does.
func parseOptions(kind Kind, query url.Values) (Options, error) {
	var opts Options
	var err error
	flags := []struct {
		into  *bool
		names []string
	}{
		{&opts.Stdin, []string{"stdin", "input"}},
		{&opts.Stdout, []string{"stdout", "output"}},
		{&opts.Stderr, []string{"stderr", "error"}},
		{&opts.TTY, []string{"tty"}},
	}
	for _, flag := range flags {
		if *flag.into, err = boolParam(query, flag.names...); err != nil {
			return Options{}, err
		}
	}
	if opts.TTY {
		opts.Stderr = false
	}
	if !opts.Stdin && !opts.Stdout && !opts.Stderr {
		return Options{}, errors.New("you must specify at least 1 of stdin, stdout, stderr")
	}
	opts.Container = query.Get("container")
	opts.Command = query["command"]
	if err := checkCommand(kind, opts.Command); err != nil {
		return Options{}, err
	}
	return opts, nil
}

// boolParam reads the first of names present: "1", "true" and the like
// are true, an absent parameter false.
func boolParam(query url.Values, names ...string) (bool, error) {
	for _, name := range names {
		if !query.Has(name) {
			continue
		}
		value := query.Get(name)
		if value == "" {
			return true, nil // "?stdin" alone
		}
		on, err := strconv.ParseBool(value)
		if err != nil {
			return false, fmt.Errorf("query parameter %s=%q: want true or false", name, value)
		}
		return on, nil
	}
	return false, nil
}

func checkCommand(kind Kind, command []string) error {
	if kind == KindAttach {
		if len(command) > 0 {
			return errors.New("attach takes no command: it joins the container's main process")
		}
		return nil
	}
	if len(command) == 0 || command[0] == "" {
		return errors.New("you must specify at least 1 command: give command=PROGRAM, once per argument (kubectl exec POD -- PROGRAM ARGS...)")
	}
	if len(command) > maxCommandArgs {
		return fmt.Errorf("the command has %d arguments; at most %d are accepted", len(command), maxCommandArgs)
	}
	size := 0
	for _, arg := range command {
		size += len(arg)
	}
	if size > maxCommandBytes {
		return fmt.Errorf("the command is %d bytes long; at most %d KiB are accepted", size, maxCommandBytes>>10)
	}
	return nil
}

// describe is a command for the log: its program and how many arguments.
func describe(command []string) string {
	if len(command) == 0 {
		return ""
	}
	if len(command) == 1 {
		return command[0]
	}
	return fmt.Sprintf("%s (+%d args)", command[0], len(command)-1)
}

// String names the streams for the log, e.g. "stdin,stdout,tty".
func (s Streams) String() string {
	var names []string
	for _, stream := range []struct {
		on   bool
		name string
	}{{s.Stdin, "stdin"}, {s.Stdout, "stdout"}, {s.Stderr, "stderr"}, {s.TTY, "tty"}} {
		if stream.on {
			names = append(names, stream.name)
		}
	}
	return strings.Join(names, ",")
}
