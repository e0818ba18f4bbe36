package translate

import "testing"

func TestExpandVars(t *testing.T) {
	vars := map[string]string{"A": "1", "B": "two"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	cases := map[string]string{
		"$(A)-$(B)":  "1-two",
		"$$(A)":      "$(A)",
		"$(MISSING)": "$(MISSING)",
		"plain $A":   "plain $A",
		"$(A":        "$(A",
		"x$":         "x$",
		"$(A)$(A)":   "11",
		"$()":        "$()",
		"$(A$(B))":   "$(A$(B))",
		"$$$(A)":     "$1",
		"a$b$(B)c":   "a$btwoc",
		"":           "",
	}
	for in, want := range cases {
		if got := ExpandVars(in, lookup); got != want {
			t.Errorf("ExpandVars(%q) = %q, want %q", in, got, want)
		}
	}
}
