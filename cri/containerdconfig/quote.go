package containerdconfig

import (
	"fmt"
	"strings"
)

// basicString quotes s as a TOML basic string ("..."), the style
// containerd's version-2 examples use. Go's strconv.Quote is close but not
// TOML: it writes \x escapes, which TOML lacks. s is valid UTF-8 (validate).
func basicString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// literalString quotes s as a TOML literal string ('...'), the style
// containerd 2 writes, when s can be one; otherwise as a basic string.
// Literal strings have no escapes, so they cannot hold ' or control
// characters.
func literalString(s string) string {
	for _, r := range s {
		if r == '\'' || (r < 0x20 && r != '\t') || r == 0x7f {
			return basicString(s)
		}
	}
	return "'" + s + "'"
}

// stringArray writes values as a one-line TOML array with quote.
func stringArray(quote func(string) string, values []string) string {
	quoted := make([]string, len(values))
	for i, value := range values {
		quoted[i] = quote(value)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
