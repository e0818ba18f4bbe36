package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// LoadConfigFile reads a YAML (or JSON) config file, the `--config` of
// `minikubelet run`, on top of base and validates the result (all but the
// API exposure, which Run checks once command-line flags are applied). Field names
// are Options' JSON names (manifestDir, relistPeriod, ...). Decoding is
// strict: an unknown or repeated field, a value of the wrong type or an
// invalid value is an error that names the file and the field; all of a
// file's problems are reported at once.
func LoadConfigFile(path string, base Options) (Options, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return base, fmt.Errorf("reading the config file %s: %w", path, err)
	}
	opts, err := parseConfig(data, base)
	if err != nil {
		return base, fmt.Errorf("config file %s: %w", path, err)
	}
	return opts, nil
}

// parseConfig applies a config file's content on top of base and
// validates the result; its error lists every problem, within bounds.
func parseConfig(data []byte, base Options) (Options, error) {
	if staticpods.CheckComplexity(data) != nil {
		return base, errors.New("it holds more list items, fields or lines than a config file ever needs")
	}
	opts, problems := decodeConfig(data, base)
	for _, err := range splitJoined(opts.validate(false)) {
		problems.add(func() error { return err })
	}
	if len(problems.list) > 0 {
		return base, problems
	}
	return opts, nil
}

// problemList is several independent problems, shown one per line under
// the file they belong to: at most maxConfigProblems lines of at most
// maxConfigLine bytes, then how many more there are.
type problemList struct {
	list    []error
	omitted int // problems counted but not formatted
}

const (
	maxConfigProblems = 100
	maxConfigLine     = 512
)

// add keeps a problem while fewer than maxConfigProblems are kept; past
// that it only counts, without calling describe.
func (p *problemList) add(describe func() error) {
	if len(p.list) >= maxConfigProblems {
		p.omitted++
		return
	}
	p.list = append(p.list, describe())
}

func (p problemList) Error() string {
	if len(p.list) == 1 && p.omitted == 0 {
		return staticpods.Shorten(p.list[0].Error(), maxConfigLine)
	}
	shown := p.list[:min(len(p.list), maxConfigProblems)]
	lines := make([]string, 0, len(shown)+1)
	for _, err := range shown {
		lines = append(lines, "\n  - "+staticpods.Shorten(err.Error(), maxConfigLine))
	}
	total := len(p.list) + p.omitted
	if more := total - len(shown); more > 0 {
		lines = append(lines, fmt.Sprintf("\n  - …and %d more", more))
	}
	return fmt.Sprintf("%d problems:%s", total, strings.Join(lines, ""))
}

func (p problemList) Unwrap() []error { return p.list }

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
func decodeConfig(data []byte, base Options) (Options, problemList) {
	var problems problemList
	fields, err := configFields(data)
	if err != nil {
		problems.list = append(problems.list, err)
		return base, problems
	}
	opts := base
	target := reflect.ValueOf(&opts).Elem()
	known := optionFieldIndex()
	keys := make([]string, 0, len(fields))
	for key := range fields {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		index, ok := known[key]
		if !ok {
			problems.add(func() error { return unknownFieldError(key, known) })
			continue
		}
		if err := setOption(target.Field(index), fields[key]); err != nil {
			problems.add(func() error { return fmt.Errorf("%s: %w", key, err) })
		}
	}
	return opts, problems
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
			return fmt.Errorf("want a duration such as 1s or 500ms, got %s", staticpods.Shorten(string(raw), maxQuoted))
		}
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("%q is not a duration: use a number with a unit, such as 1s or 500ms", staticpods.Shorten(text, maxQuoted))
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
			return fmt.Errorf("want a string or a list of strings, got %s", staticpods.Shorten(string(raw), maxQuoted))
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
	if len(key) > maxQuoted {
		// No option is named anything this long: comparing would only cost time.
		return fmt.Errorf("unknown field %q; the fields are the run flags in camelCase, see `minikubelet run --help`", staticpods.Shorten(key, maxQuoted))
	}
	names := make([]string, 0, len(known))
	best := ""
	for name := range known {
		if normalizeName(name) == normalizeName(key) {
			best = name
		}
		names = append(names, name)
	}
	if best == "" {
		best = staticpods.ClosestName(key, names)
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
