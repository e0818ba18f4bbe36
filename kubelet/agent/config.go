package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// LoadConfigFile reads a YAML (or JSON) config file, the `--config` of
// `minikubelet run`, on top of base and validates the result (all but the
// API exposure, which Run checks once command-line flags are applied). Field names
// are Options' JSON names (manifestDir, relistPeriod, ...). Decoding is
// strict: an unknown or repeated field, a value of the wrong type or an
// invalid value is an error that names the file and the field; all of a
// file's problems are reported at once.
func LoadConfigFile(path string, base Options) (Options, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("reading the config file: %w", err)
	}
	opts, decodeErr := decodeConfig(data, base)
	all := append(splitJoined(decodeErr), splitJoined(opts.validate(false))...)
	if len(all) > 0 {
		return base, fmt.Errorf("config file %s: %w", path, problemList(all))
	}
	return opts, nil
}

// problemList is several independent problems, shown one per line under
// the file they belong to.
type problemList []error

func (p problemList) Error() string {
	if len(p) == 1 {
		return p[0].Error()
	}
	lines := make([]string, 0, len(p))
	for _, err := range p {
		lines = append(lines, "\n  - "+err.Error())
	}
	return fmt.Sprintf("%d problems:%s", len(p), strings.Join(lines, ""))
}

func (p problemList) Unwrap() []error { return p }

// splitJoined undoes errors.Join; nil gives nothing.
func splitJoined(err error) []error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return joined.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// decodeConfig applies the fields set in data to base.
func decodeConfig(data []byte, base Options) (Options, error) {
	fields, err := configFields(data)
	if err != nil {
		return base, err
	}
	opts := base
	target := reflect.ValueOf(&opts).Elem()
	known := optionFieldIndex()
	keys := make([]string, 0, len(fields))
	for key := range fields {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	var problems []error
	for _, key := range keys {
		index, ok := known[key]
		if !ok {
			problems = append(problems, unknownFieldError(key, known))
			continue
		}
		if err := setOption(target.Field(index), fields[key]); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", key, err))
		}
	}
	return opts, errors.Join(problems...)
}

// configFields turns the file into its top-level fields, refusing
// duplicate keys (YAMLToJSONStrict) and anything but a mapping.
func configFields(data []byte) (map[string]json.RawMessage, error) {
	jsonData, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if trimmed := bytes.TrimSpace(jsonData); len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil // an empty file changes nothing
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(jsonData, &fields); err != nil {
		return nil, errors.New("want a mapping of option names to values, such as `manifestDir: /etc/minikubelet/manifests`")
	}
	return fields, nil
}

// optionFieldIndex maps each Options JSON name to its field index.
func optionFieldIndex() map[string]int {
	typ := reflect.TypeFor[Options]()
	index := make(map[string]int, typ.NumField())
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			index[name] = i
		}
	}
	return index
}

// stringSetter is a flag-style value, such as cni.PeerList, that parses
// its text form; the config file gives it a string or a list of strings.
type stringSetter interface{ Set(string) error }

var durationType = reflect.TypeFor[time.Duration]()

// setOption decodes one field's JSON value into field.
func setOption(field reflect.Value, raw json.RawMessage) error {
	if setter, ok := field.Addr().Interface().(stringSetter); ok {
		return setFromStrings(field, setter, raw)
	}
	if field.Type() == durationType {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return fmt.Errorf("want a duration such as 1s or 500ms, got %s", raw)
		}
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("%q is not a duration: use a number with a unit, such as 1s or 500ms", text)
		}
		field.SetInt(int64(d))
		return nil
	}
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.DisallowUnknownFields()
	value := reflect.New(field.Type())
	if err := decoder.Decode(value.Interface()); err != nil {
		return describeDecodeError(err, field.Type())
	}
	field.Set(value.Elem())
	return nil
}

// setFromStrings replaces a flag-style field with the values given as one
// string or a list of strings.
func setFromStrings(field reflect.Value, setter stringSetter, raw json.RawMessage) error {
	var values []string
	if err := json.Unmarshal(raw, &values); err != nil {
		var single string
		if err := json.Unmarshal(raw, &single); err != nil {
			return fmt.Errorf("want a string or a list of strings, got %s", raw)
		}
		values = []string{single}
	}
	field.SetZero()
	for _, value := range values {
		if err := setter.Set(value); err != nil {
			return err
		}
	}
	return nil
}

// describeDecodeError rewords encoding/json's errors for people.
func describeDecodeError(err error, want reflect.Type) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("want %s, got a %s", describeType(want), typeErr.Value)
	}
	return fmt.Errorf("want %s: %w", describeType(want), err)
}

func describeType(typ reflect.Type) string {
	switch typ.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(describeType(typ.Elem()), "a "), "an ") + "s"
	default:
		return typ.String()
	}
}

// unknownFieldError names the field and, when one is close, the field the
// user probably meant (also for a flag name written as a field).
func unknownFieldError(key string, known map[string]int) error {
	best, bestDistance := "", 4
	for name := range known {
		if normalizeName(name) == normalizeName(key) {
			best, bestDistance = name, 0
			break
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(name)); d < bestDistance || (d == bestDistance && name < best) {
			best, bestDistance = name, d
		}
	}
	if best != "" {
		return fmt.Errorf("unknown field %q (did you mean %q?)", key, best)
	}
	return fmt.Errorf("unknown field %q; the fields are the run flags in camelCase, see `minikubelet run --help`", key)
}

// normalizeName folds case and drops - and _, so "manifest-dir",
// "manifest_dir" and "ManifestDir" all match manifestDir.
func normalizeName(name string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(name))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
