package staticpods

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/testutil"
)

func TestCountMarkers(t *testing.T) {
	tests := []struct {
		text  string
		limit int
		want  int
	}{
		{"", 10, 1},
		{"plain scalar", 10, 1},
		{"a: 1\nb: 2\n", 10, 5},
		{"[1,1,1]", 10, 4},
		{"- a\n- b\n", 10, 5},
		{`"a,b,c"`, 10, 3}, // quotes are not trusted before parsing
		{strings.Repeat("1,", 100), 10, 11},
	}
	for _, tt := range tests {
		if got := countMarkers([]byte(tt.text), tt.limit); got != tt.want {
			t.Errorf("countMarkers(%q, %d) = %d, want %d", tt.text, tt.limit, got, tt.want)
		}
	}
}

func TestCountJSONValues(t *testing.T) {
	tests := []struct {
		text  string
		limit int
		want  int
	}{
		{`null`, 10, 1},
		{`{}`, 10, 1},
		{`{"a":1,"b":"x,y"}`, 10, 5},
		{`[1, 22, true, null]`, 10, 5},
		{`{"a\"b":[{},[]]}`, 10, 5},
		{`["\\", "x"]`, 10, 3},
		{`[` + strings.Repeat("1,", 100) + `1]`, 10, 11},
	}
	for _, tt := range tests {
		if got := countJSONValues([]byte(tt.text), tt.limit); got != tt.want {
			t.Errorf("countJSONValues(%s, %d) = %d, want %d", tt.text, tt.limit, got, tt.want)
		}
	}
}

func TestMaxPodSizeSaysMaxPodBytes(t *testing.T) {
	if want := fmt.Sprintf("%g MiB", float64(MaxPodBytes)/(1<<20)); MaxPodSize != want {
		t.Errorf("MaxPodSize = %q, want %q", MaxPodSize, want)
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		text  string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly 10", 10, "exactly 10"},
		{"a little too long", 10, "a littl…"},
		{"ééééé", 8, "éé…"}, // never cuts a character in two
	}
	for _, tt := range tests {
		if got := Shorten(tt.text, tt.limit); got != tt.want || len(got) > tt.limit {
			t.Errorf("Shorten(%q, %d) = %q, want %q", tt.text, tt.limit, got, tt.want)
		}
	}
}

func TestWithoutContent(t *testing.T) {
	tests := map[string]string{
		"did not find expected ',' or '}'":                     "did not find expected ',' or '}'",
		`key "secret" already set in map`:                      "a key is set twice in one mapping",
		"found unknown escape character while parsing":         "found unknown escape character while parsing",
		"invalid character 'r' looking for beginning of value": "invalid character 'r' looking for beginning of value",
		"unknown anchor 'root:$6$salt' referenced":             "unknown anchor (text not shown) referenced",
		"cannot unmarshal !!str `hunter2` into int":            "cannot unmarshal !!str (text not shown) into int",
	}
	for message, want := range tests {
		if got := withoutContent(message); got != want {
			t.Errorf("withoutContent(%q) = %q, want %q", message, got, want)
		}
	}
}

// hostileManifests are files built to make the decoder work hard: huge
// lists of wrong values, huge numbers of unknown fields, alias bombs and
// many pods. Each must give a short error, fast and in little memory.
func hostileManifests() map[string]string {
	podWith := func(containers string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: hostile}\nspec:\n  containers: " + containers + "\n"
	}
	repeatTo := func(unit string, size int) string { return strings.Repeat(unit, size/len(unit)) }
	var manyPods strings.Builder
	for i := range maxDocuments + 5 {
		fmt.Fprintf(&manyPods, "---\n%s", strings.Replace(goodPod, "name: web\n", fmt.Sprintf("name: web-%d\n", i), 1))
	}
	return map[string]string{
		"10 MiB list of numbers":       podWith("[" + repeatTo("1,", 10<<20) + "1]"),
		"1 MiB list of numbers":        podWith("[" + repeatTo("1,", 1<<20) + "1]"),
		"10 MiB of mismatched fields":  podWith("\n" + repeatTo("  - {nam: 1, imag: 2, port: x}\n", 10<<20)),
		"mismatches within the budget": podWith("[" + repeatTo("1,", MaxValues-100) + "1]"),
		"unknown fields within budget": podWith("\n" + repeatTo("  - {nam: 1, imag: 2}\n", 5*MaxValues)),
		"empty containers in budget":   podWith("[" + repeatTo("{},", 3*(MaxValues-100)) + "{}]"),
		"alias bomb": "a: &a [" + repeatTo("x,", 8000) + "x]\nb: [" + repeatTo("*a,", 200) + "*a]\n" +
			"apiVersion: v1\nkind: Pod\n",
		"more pods than a file may define": manyPods.String(),
		"10 MiB name":                      strings.Replace(goodPod, "name: web", "name: "+repeatTo("w", 10<<20), 1),
		"name just under the pod limit":    strings.Replace(goodPod, "name: web", "name: "+repeatTo("w", MaxPodBytes-200), 1),
		"labels just under the pod limit":  strings.Replace(goodPod, "name: web", "name: web\n  labels:"+bigLabels(MaxPodBytes-300), 1),
	}
}

// bigLabels writes labels with long keys and values, about size bytes in
// all, as explicit keys ("? key"): YAML limits implicit keys to 1024
// characters.
func bigLabels(size int) string {
	var labels strings.Builder
	for i := 0; labels.Len() < size-(1<<20); i++ {
		fmt.Fprintf(&labels, "\n    ? k%d%s\n    : %s", i, strings.Repeat("k", 1<<19), strings.Repeat("v", 1<<19))
	}
	return labels.String()
}

// TestDecodeManifestBoundsHostileFiles pins the bounds: at most
// maxProblems problems and one summary line, each line short, and CPU time
// and memory far below what the file would cost decoded in full.
func TestDecodeManifestBoundsHostileFiles(t *testing.T) {
	const (
		maxAllocated = 128 << 20 // bytes allocated while decoding, whatever the file
		maxCPU       = 5 * time.Second
	)
	for name, manifest := range hostileManifests() {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start, startCPU := time.Now(), testutil.CPUTime(t)
			pods, ferr := DecodeManifest("/etc/manifests/hostile.yaml", []byte(manifest), testNode)
			elapsed, cpu := time.Since(start), testutil.CPUTime(t)-startCPU
			runtime.ReadMemStats(&after)
			if ferr == nil {
				t.Fatalf("decoded %d pods from a hostile file, want an error", len(pods))
			}
			if len(ferr.Messages) > maxProblems+1 || len(ferr.Messages) != len(ferr.Errors) {
				t.Errorf("%d messages and %d structured errors, want at most %d of each",
					len(ferr.Messages), len(ferr.Errors), maxProblems+1)
			}
			total := 0
			for i, message := range ferr.Messages {
				total += len(message)
				if len(message) > maxMessageBytes || len(ferr.Errors[i].Field) > maxMessageBytes {
					t.Errorf("message %d is %d bytes (field %d), want at most %d", i, len(message), len(ferr.Errors[i].Field), maxMessageBytes)
				}
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes in: %d messages (%d bytes), %s (%s of CPU), %d MiB allocated; last: %s",
				len(manifest), len(ferr.Messages), total, elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond), allocated>>20, ferr.Messages[len(ferr.Messages)-1])
			if allocated > maxAllocated {
				t.Errorf("decoding allocated %d MiB, want at most %d MiB", allocated>>20, maxAllocated>>20)
			}
			if cpu > maxCPU {
				t.Errorf("decoding took %s of CPU (%s of wall time), want at most %s", cpu, elapsed, maxCPU)
			}
		})
	}
}

func TestDecodeManifestSumsUpProblemsPastTheCap(t *testing.T) {
	manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: [" + strings.Repeat("1,", 249) + "1]\n"
	_, ferr := DecodeManifest("/m/many.yaml", []byte(manifest), testNode)
	if ferr == nil || len(ferr.Messages) != maxProblems+1 {
		t.Fatalf("got %v, want %d messages", ferr, maxProblems+1)
	}
	if first := ferr.Messages[0]; first != `many.yaml: spec.containers[0]: must be an object, got number 1` {
		t.Errorf("first message = %q", first)
	}
	want := "many.yaml: …and at least 150 more problems (only the first 100 are listed; fix these and look again)"
	if last := ferr.Messages[maxProblems]; last != want {
		t.Errorf("last message = %q, want %q", last, want)
	}
}
