package streamingtest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Programs are the commands every test runtime has:
//
//	echo ARGS...  prints its arguments
//	cat           copies stdin to stdout until end of input
//	exit N        exits with N
//	stderr TEXT   prints TEXT on stderr
//	sizes N       prints "size WxH" for the first N terminal sizes
//	hang          waits until the session ends
//	repl          echoes lines ("echo: LINE") until end of input, then "bye"
func Programs() map[string]Program {
	return map[string]Program{
		"echo": func(s Session) (int, error) {
			fmt.Fprintln(s.Stdout, strings.Join(s.Args[1:], " "))
			return 0, nil
		},
		"cat": func(s Session) (int, error) {
			if s.Stdin == nil {
				return 1, nil
			}
			_, err := io.Copy(s.Stdout, s.Stdin)
			return 0, err
		},
		"exit": func(s Session) (int, error) {
			code, err := strconv.Atoi(s.Args[1])
			return code, err
		},
		"stderr": func(s Session) (int, error) {
			fmt.Fprintln(s.Stderr, strings.Join(s.Args[1:], " "))
			return 0, nil
		},
		"sizes": func(s Session) (int, error) {
			n, _ := strconv.Atoi(s.Args[1])
			for i := 0; i < n; i++ {
				select {
				case size := <-s.Resize:
					fmt.Fprintf(s.Stdout, "size %dx%d\n", size.Width, size.Height)
				case <-time.After(10 * time.Second):
					return 1, fmt.Errorf("no terminal size within 10s")
				}
			}
			return 0, nil
		},
		"hang": func(s Session) (int, error) {
			<-s.Ctx.Done()
			return 0, nil
		},
		"repl": Repl,
	}
}

// Repl echoes lines until end of input; for attach's main process too.
func Repl(s Session) (int, error) {
	if s.Stdin == nil {
		return 1, nil
	}
	lines := bufio.NewScanner(s.Stdin)
	for lines.Scan() {
		fmt.Fprintf(s.Stdout, "echo: %s\n", lines.Text())
	}
	fmt.Fprintln(s.Stdout, "bye")
	return 0, nil
}
