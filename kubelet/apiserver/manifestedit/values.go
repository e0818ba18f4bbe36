package manifestedit

import (
	"encoding/json"
	"sort"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// sameValue compares two JSON values by their canonical encoding, so a
// json.Number and a float64 of the same literal are equal.
func sameValue(a, b any) bool {
	return canonical(a) == canonical(b)
}

// canonical is a JSON value's encoding with map keys sorted.
func canonical(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return "\x00unencodable"
	}
	return string(data)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// build makes the node for a value the file does not spell yet. When b,
// the value the file leaves to its default, is a map too, only the keys
// that differ from it are written: the others are defaults and stay so.
func build(b, u any, s shape, mergeKey string) *yaml.Node {
	switch uv := u.(type) {
	case map[string]any:
		bm, _ := b.(map[string]any)
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, key := range orderedKeys(uv, s) {
			bv, inBase := bm[key]
			if inBase && sameValue(bv, uv[key]) {
				continue
			}
			child, childKey := s.field(key)
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, build(bv, uv[key], child, childKey))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, item := range uv {
			n.Content = append(n.Content, build(nil, item, s.elem(), ""))
		}
		return n
	default:
		return scalarNode(u)
	}
}

// scalarNode is the node of a JSON scalar. Numbers keep their literal;
// strings are encoded by the YAML library, which quotes those that would
// read as another type and writes multi-line text as a block.
func scalarNode(v any) *yaml.Node {
	switch x := v.(type) {
	case json.Number:
		tag := "!!float"
		if _, err := x.Int64(); err == nil {
			tag = "!!int"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: x.String()}
	case float64:
		if x == float64(int64(x)) {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(int64(x), 10)}
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(x, 'g', -1, 64)}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: canonical(v)}
	}
	return &n
}
