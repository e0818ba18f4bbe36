package manifestedit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"

	yaml "go.yaml.in/yaml/v3"
)

// ErrNotOneDocument is Edit's answer for a file that does not hold exactly
// one YAML document: it cannot say which one the change belongs to.
var ErrNotOneDocument = errors.New("the file does not hold exactly one document")

// Edit returns file with the change from base to updated applied to its
// single document. root is the Go type both decode into (v1.Pod), whose
// field order places added keys and whose patchMergeKey tags match list
// items. base and updated hold JSON values: maps, lists, strings, bools,
// nil and json.Number or float64.
func Edit(file []byte, base, updated map[string]any, root reflect.Type) ([]byte, error) {
	doc, err := singleDocument(file)
	if err != nil {
		return nil, err
	}
	style := detectStyle(file, doc)
	doc.Content[0] = merge(doc.Content[0], base, updated, shapeOf(root), "")
	if style.json {
		return encodeJSON(doc.Content[0], style)
	}
	return encodeYAML(doc, style)
}

// singleDocument parses file and returns its one non-empty document.
func singleDocument(file []byte) (*yaml.Node, error) {
	decoder := yaml.NewDecoder(bytes.NewReader(file))
	var found *yaml.Node
	for {
		var doc yaml.Node
		err := decoder.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parsing the manifest: %w", err)
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue
		}
		if found != nil {
			return nil, ErrNotOneDocument
		}
		found = &doc
	}
	if found == nil || found.Content[0].Kind != yaml.MappingNode {
		return nil, ErrNotOneDocument
	}
	return found, nil
}

// merge returns the file's node f with the change from b to u applied.
// mergeKey is that of the list u belongs to, if any.
func merge(f *yaml.Node, b, u any, s shape, mergeKey string) *yaml.Node {
	if sameValue(b, u) {
		return f
	}
	// An alias or a "<<" merge stands for text elsewhere: rewrite the value.
	if f.Kind == yaml.AliasNode || hasMergeKey(f) {
		return withComments(build(nil, u, s, mergeKey), f)
	}
	switch uv := u.(type) {
	case map[string]any:
		if f.Kind != yaml.MappingNode {
			return withComments(build(nil, u, s, mergeKey), f)
		}
		bm, _ := b.(map[string]any)
		return mergeMapping(f, bm, uv, s)
	case []any:
		bl, _ := b.([]any)
		if f.Kind != yaml.SequenceNode || len(f.Content) != len(bl) {
			// The file's list is not the decoded one item for item.
			return withComments(build(nil, u, s, mergeKey), f)
		}
		return mergeSequence(f, bl, uv, s, mergeKey)
	default:
		return replaceScalar(f, u)
	}
}

// mergeMapping applies a change to a mapping: keys stay in the file's
// order, removed keys go, and added keys are placed by the type's field
// order.
func mergeMapping(f *yaml.Node, b, u map[string]any, s shape) *yaml.Node {
	out := shallowCopy(f)
	seen := make(map[string]bool, len(f.Content)/2)
	for i := 0; i+1 < len(f.Content); i += 2 {
		key, value := f.Content[i], f.Content[i+1]
		seen[key.Value] = true
		uv, inUpdated := u[key.Value]
		_, inBase := b[key.Value]
		switch {
		case inUpdated:
			child, mergeKey := s.field(key.Value)
			out.Content = append(out.Content, key, merge(value, b[key.Value], uv, child, mergeKey))
		case inBase:
			// removed by the change
		default:
			// A key the decoded pod does not show (an empty value, a
			// null): the change cannot have touched it.
			out.Content = append(out.Content, key, value)
		}
	}
	for _, key := range orderedKeys(u, s) {
		if seen[key] {
			continue
		}
		bv, inBase := b[key]
		if inBase && sameValue(bv, u[key]) {
			continue // a default the file leaves out, still the default
		}
		child, mergeKey := s.field(key)
		insertPair(out, s, key, build(bv, u[key], child, mergeKey))
	}
	return out
}

// mergeSequence applies a change to a list the file spells item for
// item. Items of a list with a merge key are matched by it, in the
// updated order; others by position.
func mergeSequence(f *yaml.Node, b, u []any, s shape, mergeKey string) *yaml.Node {
	out := shallowCopy(f)
	item := s.elem()
	if index, ok := itemsByKey(b, mergeKey); ok {
		for _, uv := range u {
			key, hasKey := itemKey(uv, mergeKey)
			if j, found := index[key]; hasKey && found {
				out.Content = append(out.Content, merge(f.Content[j], b[j], uv, item, ""))
				continue
			}
			out.Content = append(out.Content, build(nil, uv, item, ""))
		}
		return out
	}
	for i, uv := range u {
		if i < len(b) {
			out.Content = append(out.Content, merge(f.Content[i], b[i], uv, item, ""))
		} else {
			out.Content = append(out.Content, build(nil, uv, item, ""))
		}
	}
	return out
}

// itemsByKey indexes a list's items by their merge key value; ok is false
// when the list has no merge key or an item lacks it.
func itemsByKey(items []any, mergeKey string) (map[string]int, bool) {
	if mergeKey == "" {
		return nil, false
	}
	index := make(map[string]int, len(items))
	for i, it := range items {
		key, ok := itemKey(it, mergeKey)
		if !ok {
			return nil, false
		}
		index[key] = i
	}
	return index, true
}

func itemKey(item any, mergeKey string) (string, bool) {
	m, ok := item.(map[string]any)
	if !ok {
		return "", false
	}
	v, ok := m[mergeKey]
	if !ok {
		return "", false
	}
	return canonical(v), true
}

// insertPair adds key: value to a mapping after the last key that comes
// before it in the type's field order; a key that is no field (a label)
// goes last.
func insertPair(m *yaml.Node, s shape, key string, value *yaml.Node) {
	keyNode := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	at := len(m.Content)
	if r := s.rank(key); r >= 0 {
		at = -1
		for i := 0; i+1 < len(m.Content); i += 2 {
			if existing := s.rank(m.Content[i].Value); existing >= 0 && existing < r {
				at = i + 2
			}
		}
		if at < 0 {
			at = 0
		}
	}
	m.Content = append(m.Content[:at], append([]*yaml.Node{keyNode, value}, m.Content[at:]...)...)
}

// hasMergeKey reports a mapping that uses YAML's "<<" merge key.
func hasMergeKey(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "<<" && n.Content[i].Tag == "!!merge" {
			return true
		}
	}
	return false
}

// shallowCopy copies a node's header (kind, style, tag, anchor, comments,
// position) without its content.
func shallowCopy(n *yaml.Node) *yaml.Node {
	out := *n
	out.Content = nil
	return &out
}

// withComments gives a replacement node the comments of the node it
// replaces.
func withComments(n, old *yaml.Node) *yaml.Node {
	n.HeadComment, n.LineComment, n.FootComment = old.HeadComment, old.LineComment, old.FootComment
	return n
}

// replaceScalar gives a changed value a new node, keeping the old one's
// comments and, from string to string, its quoting style.
func replaceScalar(f *yaml.Node, u any) *yaml.Node {
	n := scalarNode(u)
	if s, ok := u.(string); ok && f.Kind == yaml.ScalarNode && f.ShortTag() == "!!str" && keepsStyle(f.Style, s) {
		n.Style = f.Style
	}
	return withComments(n, f)
}

// keepsStyle says whether a string can be written in a quoting style: any
// quoted style can hold anything but a plain one cannot hold every
// string, and block styles are for multi-line text.
func keepsStyle(style yaml.Style, s string) bool {
	switch style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		return true
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return bytes.ContainsRune([]byte(s), '\n')
	}
	return false
}

// orderedKeys are a map's keys, fields first in the type's order, then
// the rest sorted.
func orderedKeys(m map[string]any, s shape) []string {
	keys := sortedKeys(m)
	ranked := make([]string, 0, len(keys))
	var rest []string
	for _, f := range s.fields() {
		if _, ok := m[f.name]; ok {
			ranked = append(ranked, f.name)
		}
	}
	for _, k := range keys {
		if s.rank(k) < 0 {
			rest = append(rest, k)
		}
	}
	return append(ranked, rest...)
}
