package staticpods

import (
	"fmt"
	"strconv"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// A pod's namespace and name become file names: the pod's log directory
// is <namespace>_<name>_<uid> (under /var/log/pods, the layout log
// collectors parse, so it cannot be shortened), and the API writes a pod
// it creates as <namespace>_<name>.yaml, through a temporary file
// ".<namespace>_<name>.yaml.<8 hex>.tmp". Linux refuses file names over
// 255 bytes (NAME_MAX), so a valid Kubernetes name (a pod name may have
// 253 characters, a namespace 63) can still be one the agent cannot
// store. Such a pod is refused here, where the file and the API both
// validate, with the limit named, rather than failing later with "file
// name too long".
const (
	podUIDLength = 36 // a UUID, as PodUID makes
	// MaxNamespacedNameLength bounds len(namespace)+len(name): the log
	// directory adds two "_" and the UID. The API's temporary file adds 20
	// bytes (237 in all), so it fits too.
	MaxNamespacedNameLength = maxFileNameBytes - podUIDLength - 2
)

// Longest label and annotation keys and label values Kubernetes accepts
// (prefix / name); longer ones are refused without running the naming
// rules' regular expressions over them.
const (
	qualifiedNameMaxLength = 63 // the part after the prefix, as apimachinery's IsQualifiedName has it
	maxQualifiedNameLength = validation.DNS1123SubdomainMaxLength + 1 + qualifiedNameMaxLength
)

func validateMetadata(meta *metav1.ObjectMeta) []problem {
	path := field.NewPath("metadata")
	var problems []problem
	if meta.Name == "" {
		problems = append(problems, required(path.Child("name"), "every pod needs a name"))
	} else if msgs := checkName(meta.Name, validation.DNS1123SubdomainMaxLength, validation.IsDNS1123Subdomain); len(msgs) > 0 {
		problems = append(problems, badName(path.Child("name"), meta.Name, "pod name", msgs))
	}
	if msgs := checkName(meta.Namespace, validation.DNS1123LabelMaxLength, validation.IsDNS1123Label); len(msgs) > 0 {
		problems = append(problems, badName(path.Child("namespace"), meta.Namespace, "namespace", msgs))
	}
	if len(problems) == 0 {
		problems = append(problems, checkFileNameLength(meta, path.Child("name"))...)
	}
	labels, tooLong := withoutLongEntries(meta.Labels, validation.LabelValueMaxLength, path.Child("labels"))
	problems = append(problems, tooLong...)
	problems = append(problems, foreignProblems(metav1validation.ValidateLabels(labels, path.Child("labels")))...)
	// Annotation values have no naming rule; their total size is checked.
	annotations, tooLong := withoutLongEntries(meta.Annotations, -1, path.Child("annotations"))
	problems = append(problems, tooLong...)
	return append(problems, foreignProblems(apivalidation.ValidateAnnotations(annotations, path.Child("annotations")))...)
}

// checkName runs a naming rule, unless the name is already too long: the
// rules' regular expressions cost time in proportion to the text, and a
// file can hold a "name" of 10 MiB.
func checkName(name string, maxLength int, rule func(string) []string) []string {
	if len(name) > maxLength {
		return []string{validation.MaxLenError(maxLength)}
	}
	return rule(name)
}

// checkFileNameLength refuses a valid name that is too long, with its
// namespace, to become the pod's log directory.
func checkFileNameLength(meta *metav1.ObjectMeta, path *field.Path) []problem {
	if len(meta.Namespace)+len(meta.Name) <= MaxNamespacedNameLength {
		return nil
	}
	limit := MaxNamespacedNameLength - len(meta.Namespace)
	detail := fmt.Sprintf("is %d characters; in namespace %q a pod name may have at most %d, because the pod's log directory "+
		"<namespace>_<name>_<uid> must fit the %d-byte limit on a file name (namespace and name together at most %d); shorten the name",
		len(meta.Name), meta.Namespace, limit, maxFileNameBytes, MaxNamespacedNameLength)
	return []problem{fieldProblem(&field.Error{
		Type: field.ErrorTypeTooLong, Field: path.String(), BadValue: strconv.Itoa(len(meta.Name)) + " characters", Detail: detail,
	})}
}

// withoutLongEntries returns entries whose key (and, with a maxValue of 0
// or more, value) are short enough for the naming rules, and a problem for
// each other one.
func withoutLongEntries(entries map[string]string, maxValue int, path *field.Path) (map[string]string, []problem) {
	var short map[string]string
	var problems []problem
	for _, key := range sortedKeys(entries) {
		value := entries[key]
		switch {
		case len(key) > maxQualifiedNameLength:
			problems = append(problems, invalid(path, Shorten(key, maxQuotedBytes), fmt.Sprintf(
				"key %s is %d characters; a key may have at most %d (a %d-character prefix, \"/\" and a %d-character name)",
				quoted(key), len(key), maxQualifiedNameLength, validation.DNS1123SubdomainMaxLength, qualifiedNameMaxLength)))
		case maxValue >= 0 && len(value) > maxValue:
			problems = append(problems, invalid(path.Key(Shorten(key, maxQuotedBytes)), Shorten(value, maxQuotedBytes), fmt.Sprintf(
				"is %d characters; a value may have at most %d", len(value), maxValue)))
		default:
			if short == nil {
				short = make(map[string]string, len(entries))
			}
			short[key] = value
		}
	}
	if len(problems) == 0 {
		return entries, nil
	}
	return short, problems
}
