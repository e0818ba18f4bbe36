package containerdconfig

import "testing"

func TestQuoting(t *testing.T) {
	for _, tc := range []struct {
		in, basic, literal string
	}{
		{"/var/lib/minikubelet", `"/var/lib/minikubelet"`, `'/var/lib/minikubelet'`},
		{"", `""`, `''`},
		{`it's`, `"it's"`, `"it's"`},
		{`say "hi"`, `"say \"hi\""`, `'say "hi"'`},
		{`back\slash`, `"back\\slash"`, `'back\slash'`},
		{"tab\there", `"tab\there"`, "'tab\there'"},
		{"new\nline\r", `"new\nline\r"`, `"new\nline\r"`},
		{"bell\a del\x7f", `"bell\u0007 del\u007F"`, `"bell\u0007 del\u007F"`},
		{"\b\f", `"\b\f"`, `"\b\f"`},
		{"cní ✓", `"cní ✓"`, `'cní ✓'`},
	} {
		if got := basicString(tc.in); got != tc.basic {
			t.Errorf("basicString(%q) = %s, want %s", tc.in, got, tc.basic)
		}
		if got := literalString(tc.in); got != tc.literal {
			t.Errorf("literalString(%q) = %s, want %s", tc.in, got, tc.literal)
		}
	}
}
