package manifestedit

import (
	"reflect"
	"strings"
	"sync"
)

// shape is the Go type a part of the document decodes into, as far as the
// walk knows it; a zero shape (nil type) stands for anything else, such as
// the values of a map of labels or a type that marshals as a scalar.
type shape struct {
	t reflect.Type
}

// shapeOf returns the shape of values of type t.
func shapeOf(t reflect.Type) shape {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return shape{t: t}
}

// jsonField is one field of a struct as JSON spells it.
type jsonField struct {
	name string
	t    reflect.Type
	// mergeKey is the field's patchMergeKey tag: the key that identifies
	// an item of a list, as strategic merge patch matches them.
	mergeKey string
}

// fieldCache holds each struct type's JSON fields in declaration order.
var fieldCache sync.Map // reflect.Type → []jsonField

// fields returns the struct's JSON fields in order, with inlined embedded
// structs (TypeMeta) flattened in place.
func (s shape) fields() []jsonField {
	if s.t == nil || s.t.Kind() != reflect.Struct {
		return nil
	}
	if cached, ok := fieldCache.Load(s.t); ok {
		return cached.([]jsonField)
	}
	var out []jsonField
	for i := 0; i < s.t.NumField(); i++ {
		f := s.t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		// encoding/json inlines an embedded struct without a name.
		if f.Anonymous && name == "" && shapeOf(f.Type).t.Kind() == reflect.Struct {
			out = append(out, shapeOf(f.Type).fields()...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, t: f.Type, mergeKey: f.Tag.Get("patchMergeKey")})
	}
	fieldCache.Store(s.t, out)
	return out
}

// field returns the shape of the value under key and, for a list, the
// merge key of its items.
func (s shape) field(key string) (shape, string) {
	if s.t == nil {
		return shape{}, ""
	}
	if s.t.Kind() == reflect.Map {
		return shapeOf(s.t.Elem()), ""
	}
	for _, f := range s.fields() {
		if f.name == key {
			return shapeOf(f.t), f.mergeKey
		}
	}
	return shape{}, ""
}

// rank is the position of key among the struct's fields, -1 when the key
// is not a field (a map's key, or an unknown type).
func (s shape) rank(key string) int {
	for i, f := range s.fields() {
		if f.name == key {
			return i
		}
	}
	return -1
}

// elem is the shape of a list's items.
func (s shape) elem() shape {
	if s.t == nil || (s.t.Kind() != reflect.Slice && s.t.Kind() != reflect.Array) {
		return shape{}
	}
	return shapeOf(s.t.Elem())
}
