package staticpods

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The shape check walks the decoded document beside the Go type it will be
// unmarshalled into. encoding/json stops at the first unknown field or type
// mismatch; walking ourselves lets a person see every problem of a file at
// once, each with its field path.

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	quantityType        = reflect.TypeFor[resource.Quantity]()
	intOrStringType     = reflect.TypeFor[intstr.IntOrString]()
	timeType            = reflect.TypeFor[metav1.Time]()
)

// checkShape reports the unknown fields and type mismatches of value (as
// decoded by encoding/json with UseNumber) against Go type t: the first
// room of them, and how many more it found without formatting them.
func checkShape(value any, t reflect.Type, path *field.Path, room int) (problems []problem, omitted int) {
	c := shapeChecker{room: room}
	c.check(value, t, path)
	return c.problems, c.omitted
}

type shapeChecker struct {
	problems []problem
	room     int // problems to format; past it they are only counted
	omitted  int
}

// full says the next problem is only counted: formatting it would cost
// time and memory for a line nobody is shown.
func (c *shapeChecker) full() bool {
	if len(c.problems) < c.room {
		return false
	}
	c.omitted++
	return true
}

func (c *shapeChecker) check(value any, t reflect.Type, path *field.Path) {
	if value == nil {
		return // null leaves the zero value, as encoding/json does
	}
	if decodesItself(t) {
		c.checkSelfDecoding(value, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.check(value, t.Elem(), path)
	case reflect.Struct:
		c.checkObject(value, t, path)
	case reflect.Map:
		c.checkMap(value, t, path)
	case reflect.Slice:
		c.checkSlice(value, t, path)
	case reflect.String:
		if _, ok := value.(string); !ok {
			c.mismatch(path, value, t, quoteHint(value))
		}
	case reflect.Bool:
		if _, ok := value.(bool); !ok {
			c.mismatch(path, value, t, unquoteHint(value, t))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		c.checkNumber(value, t, path)
	}
}

func (c *shapeChecker) checkObject(value any, t reflect.Type, path *field.Path) {
	object, ok := value.(map[string]any)
	if !ok {
		c.mismatch(path, value, t, "")
		return
	}
	fields := fieldsOf(t)
	keys := sortedKeys(object)
	// Report this level's unknown fields before those nested deeper, so the
	// messages read from the top of the document down.
	for _, key := range keys {
		if _, known := fields[key]; !known {
			c.unknownField(path, key, fields)
		}
	}
	for _, key := range keys {
		if fieldType, known := fields[key]; known {
			c.check(object[key], fieldType, childPath(path, key))
		}
	}
}

func (c *shapeChecker) unknownField(path *field.Path, key string, fields map[string]reflect.Type) {
	if c.full() {
		return
	}
	detail := "unknown field " + quoted(key)
	if len(key) > maxQuotedBytes {
		// No field name is this long: guessing would only cost time.
	} else if guess := ClosestName(key, sortedKeys(fields)); guess != "" {
		detail += fmt.Sprintf(" (did you mean %q?)", guess)
	} else if hint := placementHint(key, pathString(path)); hint != "" {
		detail += " (" + hint + ")"
	}
	c.problems = append(c.problems, problem{
		err: field.Forbidden(childPath(path, key), detail),
		msg: joinPath(pathString(path), detail),
	})
}

func (c *shapeChecker) checkMap(value any, t reflect.Type, path *field.Path) {
	object, ok := value.(map[string]any)
	if !ok {
		c.mismatch(path, value, t, "")
		return
	}
	for _, key := range sortedKeys(object) {
		c.check(object[key], t.Elem(), path.Key(key))
	}
}

func (c *shapeChecker) checkSlice(value any, t reflect.Type, path *field.Path) {
	if t.Elem().Kind() == reflect.Uint8 { // []byte travels as base64 text
		if _, ok := value.(string); !ok {
			c.mismatch(path, value, t, "")
		}
		return
	}
	list, ok := value.([]any)
	if !ok {
		c.mismatch(path, value, t, `write a list: one "- item" per line, or [a, b]`)
		return
	}
	for i, item := range list {
		c.check(item, t.Elem(), path.Index(i))
	}
}

func (c *shapeChecker) checkNumber(value any, t reflect.Type, path *field.Path) {
	number, ok := value.(json.Number)
	if !ok {
		c.mismatch(path, value, t, unquoteHint(value, t))
		return
	}
	text := number.String()
	var err error
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		_, err = strconv.ParseFloat(text, t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err = strconv.ParseUint(text, 10, t.Bits())
	default:
		_, err = strconv.ParseInt(text, 10, t.Bits())
	}
	if err == nil {
		return
	}
	if f, ferr := strconv.ParseFloat(text, 64); ferr == nil && f == math.Trunc(f) {
		c.mismatch(path, value, t, fmt.Sprintf("it must fit in %d bits", t.Bits()))
		return
	}
	c.mismatch(path, value, t, "")
}

// checkSelfDecoding lets types with their own JSON decoding (quantities,
// int-or-string, times) judge the value, since their accepted forms are
// theirs to define.
func (c *shapeChecker) checkSelfDecoding(value any, t reflect.Type, path *field.Path) {
	data, err := json.Marshal(value)
	if err == nil {
		err = json.Unmarshal(data, reflect.New(t).Interface())
	}
	if err != nil {
		c.mismatch(path, value, t, "")
	}
}

func (c *shapeChecker) mismatch(path *field.Path, value any, t reflect.Type, hint string) {
	if c.full() {
		return
	}
	detail := fmt.Sprintf("must be %s, got %s", expectedKind(t), describeValue(value))
	if hint != "" {
		detail += " (" + hint + ")"
	}
	c.problems = append(c.problems, problem{
		err: field.TypeInvalid(path, value, detail),
		msg: joinPath(pathString(path), detail),
	})
}

func decodesItself(t reflect.Type) bool {
	return t.Kind() != reflect.Interface && reflect.PointerTo(t).Implements(jsonUnmarshalerType)
}

// expectedKind names the JSON form Go type t accepts, in words.
func expectedKind(t reflect.Type) string {
	switch t {
	case quantityType:
		return "a quantity such as 500m or 128Mi"
	case intOrStringType:
		return "an integer or a string"
	case timeType:
		return "a time such as 2024-01-02T15:04:05Z"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return expectedKind(t.Elem())
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	}
	return "a " + t.String()
}

// describeValue names a decoded JSON value for an error message.
func describeValue(value any) string {
	switch v := value.(type) {
	case string:
		return "string " + quoted(v)
	case json.Number:
		return "number " + Shorten(v.String(), maxQuotedBytes)
	case bool:
		return fmt.Sprintf("boolean %t", v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%v", value)
}

// quoteHint helps when YAML read a number or boolean where text was meant.
func quoteHint(value any) string {
	switch v := value.(type) {
	case json.Number:
		return "put it in quotes: " + quoted(v.String())
	case bool:
		return fmt.Sprintf("YAML reads %t, yes, no, on, off, y and n as booleans; put the value in quotes", v)
	}
	return ""
}

// unquoteHint helps when a number or boolean was written in quotes.
func unquoteHint(value any, t reflect.Type) string {
	text, ok := value.(string)
	if !ok {
		return ""
	}
	var err error
	switch t.Kind() {
	case reflect.Bool:
		_, err = strconv.ParseBool(text)
	default:
		_, err = strconv.ParseFloat(text, 64)
	}
	if err != nil {
		return ""
	}
	return "remove the quotes"
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf maps each JSON field name of struct type t to its Go type,
// following encoding/json's rules for embedded structs and tags.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if cached, ok := fieldCache.Load(t); ok {
		return cached.(map[string]reflect.Type)
	}
	fields := make(map[string]reflect.Type)
	collectFields(t, fields)
	fieldCache.Store(t, fields)
	return fields
}

func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			embedded := f.Type
			if embedded.Kind() == reflect.Pointer {
				embedded = embedded.Elem()
			}
			if embedded.Kind() == reflect.Struct {
				collectFields(embedded, into)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = f.Type
	}
}
