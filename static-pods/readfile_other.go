//go:build !linux

package staticpods

import "os"

// pseudoFileSystem knows no pseudo-file system where there is no /proc or /sys.
func pseudoFileSystem(*os.File) (string, error) { return "", nil }

// holdReadLease cannot tell writers apart where there are no leases.
func holdReadLease(*os.File) writerStatus { return writersUnknown }
