package staticpods

import (
	"fmt"
	"unicode/utf8"
)

// Bounds on what one manifest may cost. The YAML parser, the JSON decoder
// and the Pod decoder each cost a few hundred bytes per value, so a 10 MiB
// file of "[1,1,1,…]" (5 million values) would need gigabytes. These limits
// are checked before the costly step they protect, so a hostile file costs
// time in proportion to its size and a bounded amount of memory.
const (
	// MaxValues bounds the values a manifest file, or a pod sent to the
	// API, may hold once YAML aliases are expanded: every field name,
	// value and list item counts one. A large real pod has a few thousand.
	MaxValues = 1 << 15
	// maxMarkers bounds the characters that can start a YAML value (one
	// of , [ { : - ? and newlines, wherever they are), counted before the
	// YAML parser runs: each parsed value needs at least one of them, so
	// this bounds the parser's work without trusting quotes it has not
	// parsed yet. Text inside strings counts too, hence twice MaxValues.
	maxMarkers = 2 * MaxValues
	// MaxPodBytes bounds one YAML document, one pod: a cluster stores no
	// object over 1.5 MiB (etcd's default request limit), so no real pod
	// is larger. Decoding costs several times the document's size in
	// memory (the text, the parser's copy, JSON, the decoded pod), so this,
	// not the file's 10 MiB, bounds the memory a file can take.
	MaxPodBytes = 3 << 19
	// MaxPodSize is MaxPodBytes for people.
	MaxPodSize = "1.5 MiB"
	// maxDocuments bounds the YAML documents, and so the pods, of one file.
	maxDocuments = 100
	// maxProblems bounds the problems a file reports; past it they are
	// counted, not formatted, and summed up in one line.
	maxProblems = 100
	// maxMessageBytes bounds one problem's sentence, which can quote a
	// value of the file.
	maxMessageBytes = 512
	// maxQuotedBytes bounds a name or value quoted inside a sentence.
	maxQuotedBytes = 64
	// maxFileNameBytes is Linux's limit on a file name (NAME_MAX).
	maxFileNameBytes = 255
)

// markerBytes are the bytes counted by countMarkers.
var markerBytes = func() (table [256]bool) {
	for _, c := range []byte(",[{:-?\n") {
		table[c] = true
	}
	return table
}()

// countMarkers counts the bytes of data that can start a YAML value, and
// stops counting past limit: an upper bound on the values a YAML parser
// can build from data, ignoring aliases (see countJSONValues).
func countMarkers(data []byte, limit int) int {
	count := 1 // a document without any marker is one scalar
	for _, c := range data {
		if markerBytes[c] {
			if count++; count > limit {
				break
			}
		}
	}
	return count
}

// countJSONValues counts the values of a JSON text, field names included,
// and stops counting past limit. It is exact for valid JSON, such as the
// parser's output, where every YAML alias has been expanded.
func countJSONValues(data []byte, limit int) int {
	count := 0
	inString, escaped, inScalar := false, false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			count++
			inString, inScalar = true, false
		case '{', '[':
			count++
			inScalar = false
		case '}', ']', ',', ':', ' ', '\t', '\n', '\r':
			inScalar = false
		default:
			if !inScalar {
				count++
				inScalar = true
			}
		}
		if count > limit {
			break
		}
	}
	return count
}

// CheckComplexity refuses a YAML or JSON text that could hold more than
// MaxValues values, before anything parses it; the API checks request
// bodies with it. The error is a sentence for people.
func CheckComplexity(data []byte) error {
	if countMarkers(data, maxMarkers) > maxMarkers {
		return tooComplex()
	}
	return nil
}

// CheckValueCount refuses a JSON text holding more than MaxValues values
// (field names, values and list items), counted without decoding it.
func CheckValueCount(jsonData []byte) error {
	if countJSONValues(jsonData, MaxValues) > MaxValues {
		return tooManyValues()
	}
	return nil
}

func tooManyValues() error {
	return fmt.Errorf("holds over %d values (field names, values and list items, YAML aliases expanded), more than any pod needs; "+
		"a manifest file may hold at most %d (split it into several files)", MaxValues, MaxValues)
}

func tooComplex() error {
	return fmt.Errorf("has over %d list items, fields or lines, more than any pod needs "+
		"(a manifest may hold at most %d values; split it into several files)", maxMarkers, MaxValues)
}

// Shorten cuts text to at most limit bytes, on a character boundary,
// marking the cut with "…". The agent's config file uses it too.
func Shorten(text string, limit int) string {
	if len(text) <= limit {
		return text
	}
	cut := limit - len("…")
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

// quoted quotes a name or value from the file for a message, shortened.
func quoted(text string) string {
	return fmt.Sprintf("%q", Shorten(text, maxQuotedBytes))
}
