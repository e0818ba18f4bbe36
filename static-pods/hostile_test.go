package staticpods

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// assertNothingEchoed waits for file's error and checks that neither it
// nor the warnings logged for the file repeat any of secrets.
func assertNothingEchoed(t *testing.T, h *harness, file string, secrets ...string) *FileError {
	t.Helper()
	snap := h.waitFor("an error for "+file, func(s Snapshot) bool { return findError(s, h.path(file)) != nil })
	ferr := findError(snap, h.path(file))
	var logged []string
	for _, w := range h.logs.warnings() {
		if w["file"] == h.path(file) {
			logged = append(logged, w["error"])
		}
	}
	for _, text := range append(append([]string(nil), ferr.Messages...), logged...) {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s: %q repeats %q from the file", file, text, secret)
			}
		}
	}
	return ferr
}

func TestSourceEchoesNothingOfAFileThatIsNotAPod(t *testing.T) {
	h := startSource(t, Config{})
	outside := t.TempDir()
	const shadow = "root:$6$Zq8cXh1E$hashhashhashhashhashhash:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n"
	files := []struct {
		name, content string
		secrets       []string
		want          string
	}{
		// Every line ends in ":", so YAML reads a mapping of one key per line.
		{"shadow.yaml", shadow, []string{"root", "$6$", "daemon", "hash"}, "an object with 2 fields but none of"},
		{"hosts.yaml", "127.0.0.1 localhost\n10.0.0.7 db.internal\n", []string{"127.0.0.1", "localhost", "db.internal"}, "hold a string, not an object (its content is not shown)"},
		{"env.yaml", "DB_PASSWORD: hunter2\nAPI_TOKEN: s3cr3t\n", []string{"DB_PASSWORD", "hunter2", "API_TOKEN"}, "an object with 2 fields but none of"},
		{"dup.yaml", "password: hunter2\npassword: hunter3\n", []string{"password", "hunter"}, "line 2: a key is set twice"},
		{"anchor.yaml", "a: *hunter2\n", []string{"hunter2"}, "(text not shown)"},
	}
	for _, f := range files {
		target := filepath.Join(outside, f.name)
		if err := os.WriteFile(target, []byte(f.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, h.path(f.name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		ferr := assertNothingEchoed(t, h, f.name, f.secrets...)
		if message := strings.Join(ferr.Messages, "\n"); !strings.Contains(message, f.want) {
			t.Errorf("%s: messages %q do not say %q", f.name, message, f.want)
		}
	}
	if ferr := findError(h.src.Current(), h.path("shadow.yaml")); !strings.Contains(ferr.Messages[0], fmt.Sprintf("its %d bytes", len(shadow))) {
		t.Errorf("the message does not give the file's size: %q", ferr.Messages[0])
	}
}

func TestSourceLogsABoundedNumberOfLinesPerBadFile(t *testing.T) {
	h := startSource(t, Config{})
	h.write("many.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: many}\nspec:\n  containers: ["+
		strings.Repeat("1,", 20000)+"1]\n")
	ferr := h.waitFor("an error for many.yaml", func(s Snapshot) bool { return findError(s, h.path("many.yaml")) != nil })
	lines := 0
	for _, w := range h.logs.warnings() {
		if w["file"] == h.path("many.yaml") {
			lines++
		}
	}
	if lines == 0 || lines > maxProblems+1 {
		t.Errorf("a file with 20001 bad values logged %d lines, want 1 to %d", lines, maxProblems+1)
	}
	if got := len(findError(ferr, h.path("many.yaml")).Messages); got != maxProblems+1 {
		t.Errorf("%d messages, want %d", got, maxProblems+1)
	}
}
