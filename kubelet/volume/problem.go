package volume

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The problem shapes the manifest validator reports, so a volume's
// problems read like every other field's.

func required(path *field.Path, why string) Problem {
	return Problem{Err: field.Required(path, why), Message: path.String() + ": is required (" + why + ")"}
}

func invalid(path *field.Path, value any, detail string) Problem {
	return Problem{Err: field.Invalid(path, value, detail), Message: path.String() + ": " + detail}
}

func notSupported[T ~string](path *field.Path, value T, valid []T) Problem {
	quoted := make([]string, len(valid))
	for i, v := range valid {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return Problem{
		Err:     field.NotSupported(path, value, valid),
		Message: fmt.Sprintf("%s: %q is not supported (use one of %s)", path, value, strings.Join(quoted, ", ")),
	}
}
