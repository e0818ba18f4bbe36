//go:build e2e

package e2e

import (
	"os"
	"testing"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestMain prints the figures the fault cases recorded (`make chaos`'s
// table) once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	framework.PrintFigures(os.Stdout)
	os.Exit(code)
}
