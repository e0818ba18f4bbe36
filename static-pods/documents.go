package staticpods

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// document is one YAML document of a manifest file.
type document struct {
	text      []byte
	firstLine int // line of the file (from 1) where text starts, so YAML errors can name file lines
}

var utf8BOM = []byte("\xef\xbb\xbf")

// splitDocuments cuts a manifest at its "---" separator lines. JSON files
// hold a single document. We split ourselves rather than use
// apimachinery's reader because we need each document's first line to turn
// the parser's document-relative line numbers into file line numbers.
func splitDocuments(fileName string, data []byte) []document {
	data = bytes.TrimPrefix(data, utf8BOM)
	if strings.EqualFold(filepath.Ext(fileName), ".json") {
		return []document{{text: data, firstLine: 1}}
	}
	var docs []document
	start, startLine, line := 0, 1, 1
	for offset := 0; offset < len(data); line++ {
		end := bytes.IndexByte(data[offset:], '\n')
		next := len(data)
		if end >= 0 {
			end += offset
			next = end + 1
		} else {
			end = len(data)
		}
		if isDocumentSeparator(data[offset:end]) {
			docs = append(docs, document{text: data[start:offset], firstLine: startLine})
			start, startLine = next, line+1
		}
		offset = next
	}
	return append(docs, document{text: data[start:], firstLine: startLine})
}

// isDocumentSeparator accepts "---" alone or followed by a comment, as
// kubectl does; "--- value" is left for the YAML parser.
func isDocumentSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("---"))
	if !ok {
		return false
	}
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}

var yamlLineError = regexp.MustCompile(`line (\d+): (.*)`)

// yamlProblems turns a YAML parser error into problems that name the line
// of the file (not of the document) and suggest the usual fix.
func yamlProblems(err error, doc document) []problem {
	text := err.Error()
	text = strings.TrimPrefix(text, "error converting YAML to JSON: ")
	text = strings.TrimPrefix(text, "yaml: ")
	matches := yamlLineError.FindAllStringSubmatch(text, maxProblems)
	if len(matches) == 0 {
		return []problem{fileProblem("invalid YAML: %s", withoutContent(text))}
	}
	problems := make([]problem, 0, len(matches))
	for _, m := range matches {
		docLine, _ := strconv.Atoi(m[1])
		fileLine := doc.firstLine + docLine - 1
		detail := "line " + strconv.Itoa(fileLine) + ": " + withoutContent(m[2])
		if hint := yamlHint(m[2], lineOf(doc.text, docLine)); hint != "" {
			detail += " (" + hint + ")"
		}
		problems = append(problems, fileProblem("%s", detail))
	}
	return problems
}

func yamlHint(message string, line []byte) string {
	switch {
	case bytes.ContainsRune(line, '\t') && (strings.Contains(message, "cannot start any token") || strings.Contains(message, "tab")):
		return "indent with spaces; YAML does not allow tabs"
	case strings.Contains(message, "already set in map"):
		return "remove one of the duplicate keys"
	case strings.Contains(message, "mapping values are not allowed"):
		return `check the indentation, and quote values that contain ": "`
	case strings.Contains(message, "did not find expected"), strings.Contains(message, "could not find expected"):
		return "check the indentation and brackets"
	}
	return ""
}

// lineOf returns line n (from 1) of text, or nil.
func lineOf(text []byte, n int) []byte {
	for i := 1; i < n; i++ {
		next := bytes.IndexByte(text, '\n')
		if next < 0 {
			return nil
		}
		text = text[next+1:]
	}
	if end := bytes.IndexByte(text, '\n'); end >= 0 {
		return text[:end]
	}
	return text
}

// quotedInMessage matches what a parser quotes from the text it read.
var quotedInMessage = regexp.MustCompile("\"[^\"]*\"|'[^']*'|`[^`]*`")

// withoutContent removes from a parser's message what it quotes of the
// file: a file that does not parse may be anything (a symlink to
// /etc/shadow, say), so none of it is repeated. A quoted single character
// is the parser's grammar (expected ',' or '}'), which says how to fix it.
func withoutContent(message string) string {
	if strings.Contains(message, "already set in map") {
		return "a key is set twice in one mapping"
	}
	return quotedInMessage.ReplaceAllStringFunc(message, func(quoted string) string {
		if len(quoted) <= 3 {
			return quoted
		}
		return "(text not shown)"
	})
}
