package staticpods

import (
	"cmp"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// A field in the wrong place is usually an indentation slip: "ports" at
// the level of "containers" instead of under one container. When an unknown
// field has no near-miss spelling, placementHint looks the name up among
// all Pod fields and says where it belongs, provided it belongs in only a
// few places (a hint among dozens would be a guess).

const maxPlacements = 6

// fieldPlaces maps each JSON field name in a Pod to the path patterns of
// the objects that have it, such as "spec.containers[*]".
var fieldPlaces = sync.OnceValue(func() map[string][]string {
	places := map[string][]string{}
	indexFields(podType, "", places, map[reflect.Type]bool{})
	return places
})

// indexFields records the fields of struct type t found at pattern, then
// those of the structs below it. visiting guards against recursive types.
func indexFields(t reflect.Type, pattern string, places map[string][]string, visiting map[reflect.Type]bool) {
	if visiting[t] {
		return
	}
	visiting[t] = true
	defer delete(visiting, t)
	for name, fieldType := range fieldsOf(t) {
		if pattern == "" && name == "status" {
			continue // never read from a manifest
		}
		places[name] = append(places[name], pattern)
		if nested, suffix, ok := structBelow(fieldType); ok {
			indexFields(nested, joinPattern(pattern, name)+suffix, places, visiting)
		}
	}
}

// structBelow finds the struct a field holds, through pointers, lists and
// maps ("[*]" each), unless the type decodes itself.
func structBelow(t reflect.Type) (reflect.Type, string, bool) {
	suffix := ""
	for {
		switch {
		case decodesItself(t):
			return nil, "", false
		case t.Kind() == reflect.Pointer:
			t = t.Elem()
		case t.Kind() == reflect.Slice || t.Kind() == reflect.Map:
			t, suffix = t.Elem(), suffix+"[*]"
		case t.Kind() == reflect.Struct:
			return t, suffix, true
		default:
			return nil, "", false
		}
	}
}

func joinPattern(pattern, name string) string {
	if pattern == "" {
		return name
	}
	return pattern + "." + name
}

var indexPattern = regexp.MustCompile(`\[[^\]]*\]`)

// placementHint says where an unknown field named key belongs, or "".
// at is the path of the object where it was found.
func placementHint(key, at string) string {
	candidates := fieldPlaces()[key]
	if len(candidates) == 0 || len(candidates) > maxPlacements {
		return ""
	}
	here := indexPattern.ReplaceAllString(at, "[*]")
	best := slices.MinFunc(candidates, func(a, b string) int {
		return cmp.Or(
			cmp.Compare(strings.Count(a, "."), strings.Count(b, ".")),     // shallowest first
			cmp.Compare(sharedSegments(b, here), sharedSegments(a, here)), // then closest to here
			cmp.Compare(a, b))
	})
	if best == "" {
		return "it belongs at the top level"
	}
	return "it belongs under " + best
}

func sharedSegments(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	n := 0
	for n < len(as) && n < len(bs) && as[n] == bs[n] && as[n] != "" {
		n++
	}
	return n
}
