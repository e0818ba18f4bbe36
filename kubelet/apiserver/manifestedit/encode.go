package manifestedit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// style is how the file is laid out, for the encoder to follow.
type style struct {
	json bool
	// indent is the width of one level of nesting.
	indent int
	// compactSeq says list items start at their key's column ("- name"
	// under "containers:"), as kubectl writes them.
	compactSeq bool
	// documentStart says the file begins with "---".
	documentStart bool
	// oneLine says a JSON file is a single line.
	oneLine bool
}

// detectStyle reads the file's layout from its text and node positions;
// what it cannot see is kubectl's style: two spaces, compact lists.
func detectStyle(file []byte, doc *yaml.Node) style {
	trimmed := bytes.TrimLeft(file, " \t\r\n")
	st := style{indent: 2, compactSeq: true}
	st.json = bytes.HasPrefix(trimmed, []byte("{"))
	st.documentStart = bytes.HasPrefix(trimmed, []byte("---"))
	if st.json {
		st.oneLine = !bytes.Contains(bytes.TrimSpace(file), []byte("\n"))
		st.indent = jsonIndent(file)
		return st
	}
	if width, ok := firstIndent(doc.Content[0]); ok {
		st.indent = width
	}
	if compact, ok := firstSeqStyle(doc.Content[0]); ok {
		st.compactSeq = compact
	}
	return st
}

// firstIndent finds a block mapping nested in a block mapping and returns
// how far its keys are indented from their parent's.
func firstIndent(m *yaml.Node) (int, bool) {
	if m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 {
		return 0, false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, value := m.Content[i], m.Content[i+1]
		if value.Kind == yaml.MappingNode && value.Style&yaml.FlowStyle == 0 && len(value.Content) > 0 {
			if width := value.Content[0].Column - key.Column; width > 0 && width <= 8 {
				return width, true
			}
		}
		if width, ok := firstIndent(value); ok {
			return width, true
		}
	}
	return 0, false
}

// firstSeqStyle finds a block list under a key and says whether its items
// start at the key's column.
func firstSeqStyle(n *yaml.Node) (bool, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			if value.Kind == yaml.SequenceNode && value.Style&yaml.FlowStyle == 0 && len(value.Content) > 0 {
				// An item's node starts after "- ".
				return value.Content[0].Column-2 == key.Column, true
			}
			if compact, ok := firstSeqStyle(value); ok {
				return compact, true
			}
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if compact, ok := firstSeqStyle(item); ok {
				return compact, true
			}
		}
	}
	return false, false
}

// jsonIndent is the indentation of the first indented line of a JSON file.
func jsonIndent(file []byte) int {
	for _, line := range strings.Split(string(file), "\n")[1:] {
		if trimmed := strings.TrimLeft(line, " "); trimmed != "" {
			if width := len(line) - len(trimmed); width > 0 && width <= 8 {
				return width
			}
			return 2
		}
	}
	return 2
}

// encodeYAML writes the document in the file's style.
func encodeYAML(doc *yaml.Node, st style) ([]byte, error) {
	var out bytes.Buffer
	if st.documentStart {
		out.WriteString("---\n")
	}
	encoder := yaml.NewEncoder(&out)
	encoder.SetIndent(st.indent)
	if st.compactSeq {
		encoder.CompactSeqIndent()
	}
	if err := encoder.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	if err := encoder.Close(); err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	return out.Bytes(), nil
}

// encodeJSON writes a node tree as JSON, keys in the tree's order.
func encodeJSON(n *yaml.Node, st style) ([]byte, error) {
	var compact bytes.Buffer
	if err := writeJSON(&compact, n); err != nil {
		return nil, err
	}
	if st.oneLine {
		return append(compact.Bytes(), '\n'), nil
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", strings.Repeat(" ", st.indent)); err != nil {
		return nil, fmt.Errorf("encoding the manifest as JSON: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func writeJSON(out *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		out.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				out.WriteByte(',')
			}
			key, _ := json.Marshal(n.Content[i].Value)
			out.Write(key)
			out.WriteByte(':')
			if err := writeJSON(out, n.Content[i+1]); err != nil {
				return err
			}
		}
		out.WriteByte('}')
	case yaml.SequenceNode:
		out.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := writeJSON(out, item); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	case yaml.ScalarNode:
		return writeJSONScalar(out, n)
	default:
		return fmt.Errorf("a JSON manifest holds a YAML %s, which has no JSON form", kindName(n.Kind))
	}
	return nil
}

// writeJSONScalar writes a scalar as the JSON value it decodes to.
func writeJSONScalar(out *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		out.WriteString("null")
		return nil
	case "!!int", "!!float", "!!bool":
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("encoding the manifest as JSON: %w", err)
		}
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding the manifest as JSON: %w", err)
		}
		if n.ShortTag() != "!!bool" && isJSONNumber(n.Value) {
			data = []byte(n.Value) // keep the literal: 1e3 stays 1e3
		}
		out.Write(data)
		return nil
	}
	data, _ := json.Marshal(n.Value)
	out.Write(data)
	return nil
}

func isJSONNumber(s string) bool {
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "node"
}
