package translate

import (
	"fmt"
	"math"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// ExpandVars replaces $(NAME) with the value lookup gives NAME, the
// Kubernetes rule for command, args and env values: $$ escapes a dollar,
// and a reference to an unknown name is left as written.
func ExpandVars(input string, lookup func(string) (string, bool)) string {
	out, _ := expandWithin(input, lookup, math.MaxInt)
	return out
}

// expandWithin is ExpandVars that gives up, with false, as soon as the
// result would pass limit bytes: before copying the value that would pass
// it, so references to a large value never build more than limit.
func expandWithin(input string, lookup func(string) (string, bool), limit int) (string, bool) {
	if len(input) > limit {
		return "", false
	}
	if !strings.Contains(input, "$") {
		return input, true
	}
	var b strings.Builder
	write := func(s string) bool {
		if len(s) > limit-b.Len() {
			return false
		}
		b.WriteString(s)
		return true
	}
	for i := 0; i < len(input); i++ {
		if input[i] != '$' || i+1 >= len(input) {
			if !write(input[i : i+1]) {
				return "", false
			}
			continue
		}
		next, piece := input[i+1], "$"
		switch {
		case next == '$':
			i++
		case next == '(':
			end := strings.IndexByte(input[i+2:], ')')
			if end < 0 {
				piece, i = input[i:], len(input)
				break
			}
			name := input[i+2 : i+2+end]
			value, ok := lookup(name)
			if !ok {
				value = input[i : i+3+end]
			}
			piece = value
			i += 2 + end
		}
		if !write(piece) {
			return "", false
		}
	}
	return b.String(), true
}

// MaxArgvBytes bounds a container's command and args once $(NAME) is
// expanded, as MaxEnvBytes bounds its environment: the kernel's execve
// takes 2 MiB (ARG_MAX) of arguments and environment together, and each
// reference copies a value of up to MaxEnvBytes, so a few thousand
// references would make the agent build gigabytes.
const MaxArgvBytes = 1 << 20

// expandArgv expands the container's command and then its args against
// one budget of MaxArgvBytes (nil stays nil, so an unset command keeps the
// image's entrypoint), and refuses, naming the field, the first string
// that passes it.
func expandArgv(c *v1.Container, lookup func(string) (string, bool)) (command, args []string, err error) {
	budget := MaxArgvBytes
	expand := func(field string, in []string) ([]string, error) {
		if in == nil {
			return nil, nil
		}
		out := make([]string, len(in))
		for i, s := range in {
			expanded, ok := expandWithin(s, lookup, budget)
			if !ok {
				return nil, fmt.Errorf("container %s %s[%d]: the command and args expand to over %d KiB (each $(NAME) copies the variable's value); "+
					"a process cannot start with them (execve takes 2 MiB with the environment): refer to large variables fewer times, "+
					"or let the process read them from its environment or a volume", c.Name, field, i, MaxArgvBytes/1024)
			}
			budget -= len(expanded)
			out[i] = expanded
		}
		return out, nil
	}
	if command, err = expand("command", c.Command); err != nil {
		return nil, nil, err
	}
	if args, err = expand("args", c.Args); err != nil {
		return nil, nil, err
	}
	return command, args, nil
}
