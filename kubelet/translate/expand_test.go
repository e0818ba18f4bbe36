package translate

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

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

// A pod whose command and args refer to a large variable many times is
// refused, naming the container and the field, before the agent builds
// the whole argv; within the bound, the same references expand.
func TestContainerConfigBoundsTheExpandedArgv(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	for _, tc := range []struct {
		name          string
		command, args []string
		wantField     string // empty: accepted
	}{
		{name: "within the bound", command: []string{"/bin/echo"}, args: repeat("$(BIG)", 15)},
		{name: "args over the bound", command: []string{"/bin/echo"}, args: repeat("$(BIG)", 10_000), wantField: "args[15]"},
		{name: "command over the bound", command: repeat("$(BIG)", 17), wantField: "command[16]"},
		{name: "command and args share the bound", command: repeat("$(BIG)", 10), args: repeat("$(BIG)", 10), wantField: "args[6]"},
		{name: "one string over the bound", args: []string{strings.Repeat("$(BIG)", 17)}, wantField: "args[0]"},
		{name: "escaped references copy nothing", args: repeat("$$(BIG)", 10_000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := testPod()
			c := &pod.Spec.Containers[0]
			c.Env = []v1.EnvVar{{Name: "BIG", Value: big}}
			c.Command, c.Args = tc.command, tc.args
			env, err := ContainerEnv(testNode(), pod, c, nil, EnvObjects{})
			if err != nil {
				t.Fatal(err)
			}
			config, err := ContainerConfig(testNode(), pod, ContainerStart{Spec: c, Type: ContainerTypeApp}, env, nil)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if n := argvBytes(config.Command) + argvBytes(config.Args); n > MaxArgvBytes {
					t.Errorf("argv of %d bytes", n)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted an argv of %d bytes", argvBytes(config.Command)+argvBytes(config.Args))
			}
			for _, want := range []string{"container app " + tc.wantField, "1024 KiB", "refer to large variables fewer times"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// The bound is checked while expanding: once it is passed, no further
// value is looked up or copied.
func TestExpandArgvStopsAtTheBound(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	lookups := 0
	lookup := func(string) (string, bool) { lookups++; return big, true }
	_, _, err := expandArgv(&v1.Container{Name: "app", Args: repeat("$(BIG)", 100_000)}, lookup)
	if err == nil {
		t.Fatal("100,000 references to 64 KiB accepted")
	}
	if lookups > 17 {
		t.Errorf("%d values looked up; want the expansion to stop at the 17th, which passes 1 MiB", lookups)
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func argvBytes(argv []string) (n int) {
	for _, s := range argv {
		n += len(s)
	}
	return n
}
