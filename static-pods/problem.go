package staticpods

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// problem is one thing wrong with a manifest, kept in two forms: the
// structured error an API client can act on, and the sentence a person reads
// (without the file name, which FileError adds).
type problem struct {
	err *field.Error
	msg string
}

// fieldProblem turns a field error whose Detail is already a human sentence
// into a problem reading "<field>: <detail>".
func fieldProblem(fe *field.Error) problem {
	return problem{err: fe, msg: joinPath(fe.Field, fe.Detail)}
}

// foreignProblem wraps a field error built by apimachinery's validators,
// whose Detail alone can lack context, so the whole error body is shown.
func foreignProblem(fe *field.Error) problem {
	return problem{err: fe, msg: joinPath(fe.Field, fe.ErrorBody())}
}

func foreignProblems(list field.ErrorList) []problem {
	out := make([]problem, 0, len(list))
	for _, fe := range list {
		out = append(out, foreignProblem(fe))
	}
	return out
}

// invalid reports a bad value at path; detail is the human sentence.
func invalid(path *field.Path, value any, detail string) problem {
	return fieldProblem(field.Invalid(path, value, detail))
}

// required reports a missing value at path; why says what it is needed for.
func required(path *field.Path, why string) problem {
	return problem{err: field.Required(path, why), msg: path.String() + ": is required (" + why + ")"}
}

// forbidden reports a field that may not be used; detail is the human sentence.
func forbidden(path *field.Path, detail string) problem {
	return fieldProblem(field.Forbidden(path, detail))
}

// fileProblem reports something wrong with the file as a whole (it cannot be
// read, is too large, has a syntax error), which has no field path.
func fileProblem(format string, args ...any) problem {
	detail := fmt.Sprintf(format, args...)
	return problem{err: &field.Error{Type: field.ErrorTypeInvalid, Detail: detail}, msg: detail}
}

func joinPath(path, text string) string {
	if path == "" {
		return text
	}
	return path + ": " + text
}

// childPath extends path by a field name; a nil path is the document root.
func childPath(path *field.Path, name string) *field.Path {
	if path == nil {
		return field.NewPath(name)
	}
	return path.Child(name)
}

func pathString(path *field.Path) string {
	if path == nil {
		return ""
	}
	return path.String()
}
