package agent

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// maxConfigSize bounds the config file: the options fit in a few KiB, so
// anything larger is the wrong file (or /dev/zero).
const maxConfigSize = 1 << 20

// maxQuoted bounds a value of the file quoted in an error.
const maxQuoted = 64

// readConfigFile reads a regular file of at most maxConfigSize bytes. It
// opens without blocking, so a FIFO cannot hang the start, and checks the
// opened file.
func readConfigFile(path string) ([]byte, error) {
	file, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("it is not a regular file (its mode is %s)", info.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(file, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("it is over the %d KiB limit for a config file: the options fit in a few KiB", maxConfigSize>>10)
	}
	return data, nil
}
