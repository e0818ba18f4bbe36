package apiclient

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
	"k8s.io/client-go/tools/remotecommand"
)

// terminal is the user's terminal for a -t session: put in raw mode while
// the session lasts, its size sent at start and on every SIGWINCH.
type terminal struct {
	// in is the input, set raw; the size is read from sizeFd.
	in     int
	sizeFd int
}

// openTerminal returns the terminal a session runs on, as kubectl
// decides it: only with -t and -i, and only when In is a terminal. Its
// size is Out's when Out is a terminal too, else In's.
func openTerminal(in io.Reader, out io.Writer, tty, stdin bool) *terminal {
	if !tty || !stdin {
		return nil
	}
	inFd, ok := terminalFd(in)
	if !ok {
		return nil
	}
	if outFd, ok := terminalFd(out); ok {
		return &terminal{in: inFd, sizeFd: outFd}
	}
	return &terminal{in: inFd, sizeFd: inFd}
}

func terminalFd(v any) (int, bool) {
	f, ok := v.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// makeRaw puts the input terminal in raw mode, so keys such as Ctrl-C
// reach the remote process, and returns how to restore it.
func (t *terminal) makeRaw() (func(), error) {
	state, err := term.MakeRaw(t.in)
	if err != nil {
		return nil, fmt.Errorf("putting the terminal in raw mode: %w", err)
	}
	return func() { _ = term.Restore(t.in, state) }, nil
}

// size reads the terminal's size; nil when it cannot.
func (t *terminal) size() *remotecommand.TerminalSize {
	width, height, err := term.GetSize(t.sizeFd)
	if err != nil || width <= 0 || height <= 0 {
		return nil
	}
	return &remotecommand.TerminalSize{Width: uint16(width), Height: uint16(height)}
}

// watchSize queues the terminal's size now and after every SIGWINCH
// until ctx ends.
func (t *terminal) watchSize(ctx context.Context) *sizeQueue {
	queue := &sizeQueue{sizes: make(chan remotecommand.TerminalSize, 1), done: ctx.Done()}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		defer signal.Stop(winch)
		queue.offer(t.size())
		for {
			select {
			case <-ctx.Done():
				return
			case <-winch:
				queue.offer(t.size())
			}
		}
	}()
	return queue
}

// sizeQueue is a remotecommand.TerminalSizeQueue that keeps only the
// latest size when the session reads them more slowly than they come.
type sizeQueue struct {
	sizes chan remotecommand.TerminalSize
	done  <-chan struct{}
}

func (q *sizeQueue) offer(size *remotecommand.TerminalSize) {
	if size == nil {
		return
	}
	select {
	case <-q.sizes: // drop a size not yet sent
	default:
	}
	q.sizes <- *size
}

// Next implements remotecommand.TerminalSizeQueue; nil ends the resizes.
func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	select {
	case size := <-q.sizes:
		return &size
	case <-q.done:
		return nil
	}
}
