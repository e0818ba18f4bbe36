package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// replTool is a line-reading session for interactive exec and attach
// tests (the image has no shell). Each line read is answered:
//
//	size     prints "size ROWSxCOLS", the terminal's size (TIOCGWINSZ)
//	exit [N] exits with N (default 0)
//	other    prints "echo: LINE"
//
// It prints "resized ROWSxCOLS" whenever SIGWINCH arrives, and "bye" at
// end of input. The prompt is "> ".
func replTool(_ []string, stdout, _ io.Writer) int {
	winch := make(chan os.Signal, 4)
	signal.Notify(winch, syscall.SIGWINCH)
	defer signal.Stop(winch)
	var mu sync.Mutex // one writer at a time: lines and resize notes
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, format, args...)
	}
	go func() {
		for range winch {
			say("resized %s\n", terminalSize(int(os.Stdin.Fd())))
		}
	}()
	return runREPL(os.Stdin, say, func() string { return terminalSize(int(os.Stdin.Fd())) })
}

// runREPL answers lines from in until "exit" or end of input.
func runREPL(in io.Reader, say func(string, ...any), size func() string) int {
	lines := bufio.NewScanner(in)
	say("> ")
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		switch {
		case line == "size":
			say("size %s\n", size())
		case line == "exit" || strings.HasPrefix(line, "exit "):
			code, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "exit")))
			if err != nil {
				code = 0
			}
			say("bye\n")
			return code
		default:
			say("echo: %s\n", line)
		}
		say("> ")
	}
	say("bye\n")
	return 0
}

// terminalSize is the size of the terminal on fd, or why there is none.
func terminalSize(fd int) string {
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return fmt.Sprintf("%dx%d", ws.Row, ws.Col)
}
