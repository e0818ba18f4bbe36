package translate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// forbiddenImports are packages that reach the host: files, sockets,
// processes, system calls, logs. The translation must need none, or it
// stops being a function of its arguments. Other minikubelet packages
// are forbidden too, so translate stays a leaf nobody's changes reach.
var forbiddenImports = []string{
	"os", "os/...", "syscall", "golang.org/x/sys/...", "net", "net/...",
	"io", "io/fs", "io/ioutil", "path/filepath", "log", "log/slog", "unsafe",
	"github.com/minikubelet/minikubelet/...",
}

// clockReads are the time functions that read or wait on the clock.
var clockReads = []string{"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"}

func isForbidden(path string) bool {
	for _, f := range forbiddenImports {
		if prefix, ok := strings.CutSuffix(f, "/..."); ok {
			if path == prefix || strings.HasPrefix(path, prefix+"/") {
				return true
			}
		} else if path == f {
			return true
		}
	}
	return false
}

// TestTranslationTouchesNothingOnTheHost reads the package's own source:
// no file may import a package that reaches the host, or read the clock.
func TestTranslationTouchesNothingOnTheHost(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		timeName := ""
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if isForbidden(path) {
				t.Errorf("%s imports %q: the translation must not reach the host; do that in kubelet's host step and pass the result in", fset.Position(imp.Pos()), path)
			}
			if path == "time" {
				timeName = "time"
				if imp.Name != nil {
					timeName = imp.Name.Name
				}
			}
		}
		if timeName == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == timeName && slices.Contains(clockReads, sel.Sel.Name) {
				t.Errorf("%s calls time.%s: the translation must not read the clock; take the time as an argument", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("found no source files to check")
	}
}
