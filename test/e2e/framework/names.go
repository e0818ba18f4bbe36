package framework

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// maxLabel is the longest DNS-1123 label, the limit for pod names.
const maxLabel = 63

// UniqueName returns prefix plus a random suffix, lower-case and short
// enough for a pod name, so parallel and repeated runs never collide and a
// test finds only its own pods.
func UniqueName(prefix string) string {
	suffix := "-" + RandomHex(4)
	prefix = strings.ToLower(prefix)
	if len(prefix)+len(suffix) > maxLabel {
		prefix = prefix[:maxLabel-len(suffix)]
	}
	return prefix + suffix
}

// RandomHex returns n random bytes as 2n hex digits (e.g. for pod UIDs).
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}
