package staticpods

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// Annotations the source sets on every pod it publishes.
const (
	// AnnotationConfigSource says where the pod came from; always "file".
	AnnotationConfigSource = "kubernetes.io/config.source"
	// AnnotationConfigHash holds the pod's UID, the hash of its manifest.
	AnnotationConfigHash = "kubernetes.io/config.hash"
	// AnnotationManifestFile holds the absolute path of the manifest.
	AnnotationManifestFile = "minikubelet.io/manifest-file"

	configSourceFile = "file"
)

var podType = reflect.TypeFor[v1.Pod]()

// DecodeManifest decodes every Pod in a manifest strictly, defaults and
// validates them, and sets their node name, UID and annotations. A file is
// all or nothing: when any document has a problem, no pods are returned and
// the FileError lists the problems found (at most maxProblems, then how
// many more). fileName is used in messages and in the UID, so pass the
// absolute path for files. Its cost is bounded: see MaxValues.
func DecodeManifest(fileName string, data []byte, nodeName string) ([]*v1.Pod, *FileError) {
	ferr := &FileError{File: fileName}
	if err := CheckComplexity(data); err != nil {
		ferr.add("", fileProblem("%s", err.Error()))
		return nil, ferr
	}
	results, fileProblems := decodeDocuments(fileName, data, nodeName)
	markDuplicateNames(results)

	for _, p := range fileProblems {
		ferr.add("", p)
	}
	if len(results) == 0 && len(fileProblems) == 0 {
		ferr.add("", fileProblem("holds no pod (the file is empty or only has comments); write a Pod, or delete the file to remove its pods"))
	}
	pods := make([]*v1.Pod, 0, len(results))
	for i, result := range results {
		prefix := ""
		if len(results) > 1 {
			prefix = "document " + strconv.Itoa(i+1) + ": "
		}
		if result.syntaxError || result.overBudget {
			prefix = "" // it names a line of the file, or is about the whole file
		}
		for _, p := range result.problems {
			ferr.add(prefix, p)
		}
		ferr.addOmitted(result.omitted)
		if result.name != nil {
			ferr.Pods = append(ferr.Pods, *result.name)
		}
		pods = append(pods, result.pod)
	}
	if len(ferr.Messages) > 0 {
		return nil, ferr
	}
	for _, pod := range pods {
		finishPod(pod, fileName, nodeName)
	}
	return pods, nil
}

// decodeDocuments decodes the documents of a file in turn, within the
// file's budgets: maxDocuments pods, MaxValues values and maxProblems
// problems formatted. Past a budget it stops, with a problem saying so.
func decodeDocuments(fileName string, data []byte, nodeName string) ([]documentResult, []problem) {
	budget := decodeBudget{values: MaxValues, problems: maxProblems}
	var results []documentResult
	for _, doc := range splitDocuments(fileName, data) {
		if len(doc.text) > MaxPodBytes {
			return results, []problem{documentTooLarge(doc)}
		}
		result := decodeDocument(doc, nodeName, &budget)
		if result.empty {
			continue
		}
		if len(results) == maxDocuments {
			return results, []problem{fileProblem("defines more than %d pods; a manifest file may define at most %d (split it into several files)",
				maxDocuments, maxDocuments)}
		}
		results = append(results, result)
		budget.problems -= len(result.problems)
		if result.overBudget {
			break
		}
	}
	return results, nil
}

// documentTooLarge refuses a document over MaxPodBytes before it is parsed.
func documentTooLarge(doc document) problem {
	return fileProblem("the document from line %d is %d bytes, over the %s (%d bytes) limit for one pod; "+
		"a cluster stores no larger object, so look for a huge value", doc.firstLine, len(doc.text), MaxPodSize, MaxPodBytes)
}

// decodeBudget is what is left of a file's budgets as its documents are
// decoded one after another.
type decodeBudget struct {
	values   int // values the remaining documents may hold
	problems int // problems still formatted; see shapeChecker
}

// documentResult is what one YAML document yielded.
type documentResult struct {
	empty       bool
	syntaxError bool                  // the YAML did not parse; problems name file lines
	overBudget  bool                  // the file's value budget ran out in this document
	pod         *v1.Pod               // set when problems is empty
	name        *types.NamespacedName // when the raw document names a pod
	problems    []problem
	omitted     int // problems found but not formatted
}

func decodeDocument(doc document, nodeName string, budget *decodeBudget) documentResult {
	jsonData, err := yaml.YAMLToJSONStrict(doc.text)
	if err != nil {
		return documentResult{syntaxError: true, problems: yamlProblems(err, doc)}
	}
	if bytes.Equal(bytes.TrimSpace(jsonData), []byte("null")) {
		return documentResult{empty: true}
	}
	// Aliases can make the parser's output far larger than its input.
	values := countJSONValues(jsonData, budget.values)
	if budget.values -= values; budget.values < 0 {
		return documentResult{overBudget: true, problems: []problem{fileProblem("%s", tooManyValues())}}
	}
	var raw any
	decoder := json.NewDecoder(bytes.NewReader(jsonData))
	decoder.UseNumber()
	if err := decoder.Decode(&raw); err != nil {
		return documentResult{problems: []problem{fileProblem("cannot decode: %s", withoutContent(err.Error()))}}
	}
	object, ok := raw.(map[string]any)
	if !ok {
		return documentResult{problems: []problem{notAnObject(raw, len(doc.text))}}
	}
	if !hasPodField(object) {
		return documentResult{problems: []problem{notAPod(object, len(doc.text))}}
	}
	result := documentResult{name: podNameOf(object)}
	result.problems = checkTypeMeta(object)
	shapeProblems, omitted := checkShape(object, podType, nil, max(0, budget.problems-len(result.problems)))
	if len(shapeProblems) > 0 || omitted > 0 {
		// Validating would only repeat these problems as missing fields.
		result.problems = append(result.problems, shapeProblems...)
		result.omitted = omitted
		return result
	}
	pod, err := decodePodStrict(jsonData)
	if err != nil {
		result.problems = append(result.problems, fileProblem("cannot decode the Pod: %v", err))
		return result
	}
	// Status is the agent's to report; a manifest saved from "kubectl get -o
	// yaml" carries an old one that must not leak into the UID.
	pod.Status = v1.PodStatus{}
	SetDefaults(pod)
	result.problems = append(result.problems, validatePod(pod)...)
	result.problems = append(result.problems, checkNodeName(pod, nodeName)...)
	if len(result.problems) == 0 {
		result.pod = pod
	}
	return result
}

// podFields are the top-level fields of a Pod; an object with none of
// them is some other file.
var podFields = []string{"apiVersion", "kind", "metadata", "spec"}

func hasPodField(object map[string]any) bool {
	for _, name := range podFields {
		if _, ok := object[name]; ok {
			return true
		}
	}
	return false
}

// notAnObject reports a document that is a scalar or a list. It says what
// the document holds and its size, never its content: the file may be a
// symlink to anything, /etc/shadow say, and a short excerpt of that file
// is already its root password hash.
func notAnObject(value any, size int) problem {
	return fileProblem("is not a Pod manifest: its %d bytes hold %s, not an object (its content is not shown); "+
		"a Pod is an object with apiVersion: v1, kind: Pod, metadata and spec", size, kindOfValue(value))
}

// notAPod reports an object with no field of a Pod, such as another
// program's config file, without naming its fields, for the same reason.
func notAPod(object map[string]any, size int) problem {
	return fileProblem("is not a Pod manifest: its %d bytes hold an object with %d fields but none of apiVersion, kind, metadata "+
		"and spec (its content is not shown); a Pod is an object with apiVersion: v1, kind: Pod, metadata and spec", size, len(object))
}

// kindOfValue names what a decoded JSON value is, without its content.
func kindOfValue(value any) string {
	switch value.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	}
	return "a value"
}

// decodePodStrict is the final decode once the shape check found nothing:
// it refuses unknown fields too, so the two can never silently disagree.
func decodePodStrict(jsonData []byte) (*v1.Pod, error) {
	decoder := json.NewDecoder(bytes.NewReader(jsonData))
	decoder.DisallowUnknownFields()
	pod := &v1.Pod{}
	if err := decoder.Decode(pod); err != nil {
		return nil, err
	}
	return pod, nil
}

func checkTypeMeta(object map[string]any) []problem {
	var problems []problem
	switch apiVersion, present := object["apiVersion"]; {
	case !present:
		problems = append(problems, problem{
			err: field.Required(field.NewPath("apiVersion"), `add "apiVersion: v1"`),
			msg: `apiVersion is missing (add "apiVersion: v1")`,
		})
	case apiVersion != "v1" && isString(apiVersion):
		problems = append(problems, problem{
			err: field.NotSupported(field.NewPath("apiVersion"), Shorten(apiVersion.(string), maxQuotedBytes), []string{"v1"}),
			msg: fmt.Sprintf("apiVersion %s is not \"v1\"", quoted(apiVersion.(string))),
		})
	}
	switch kind, present := object["kind"]; {
	case !present:
		problems = append(problems, problem{
			err: field.Required(field.NewPath("kind"), `add "kind: Pod"`),
			msg: `kind is missing (add "kind: Pod")`,
		})
	case kind != "Pod" && isString(kind):
		problems = append(problems, problem{
			err: field.NotSupported(field.NewPath("kind"), Shorten(kind.(string), maxQuotedBytes), []string{"Pod"}),
			msg: fmt.Sprintf("kind %s is not \"Pod\"", quoted(kind.(string))),
		})
	}
	return problems
}

func isString(value any) bool {
	_, ok := value.(string)
	return ok
}

// podNameOf reads namespace/name from a raw document, so a file that fails
// to decode can still say which pod it meant.
func podNameOf(object map[string]any) *types.NamespacedName {
	metadata, _ := object["metadata"].(map[string]any)
	name, _ := metadata["name"].(string)
	if name == "" {
		return nil
	}
	namespace, _ := metadata["namespace"].(string)
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	return &types.NamespacedName{Namespace: namespace, Name: name}
}

func checkNodeName(pod *v1.Pod, nodeName string) []problem {
	if pod.Spec.NodeName == "" || pod.Spec.NodeName == nodeName {
		return nil
	}
	return []problem{forbidden(field.NewPath("spec", "nodeName"), fmt.Sprintf(
		"pod is bound to node %s but this node is %q (remove nodeName: a static pod runs on the node that reads its file)",
		quoted(pod.Spec.NodeName), nodeName))}
}

// markDuplicateNames reports a second document defining a pod already
// defined earlier in the same file.
func markDuplicateNames(results []documentResult) {
	firstDocument := map[types.NamespacedName]int{}
	for i := range results {
		name := results[i].name
		if name == nil {
			continue
		}
		if first, seen := firstDocument[*name]; seen {
			results[i].pod = nil
			results[i].problems = append(results[i].problems, fieldProblem(&field.Error{
				Type: field.ErrorTypeDuplicate, Field: "metadata.name", BadValue: name.Name,
				Detail: fmt.Sprintf("pod %s is already defined by document %d of this file", name, first+1),
			}))
			continue
		}
		firstDocument[*name] = i
	}
}

// finishPod binds a valid pod to this node and stamps its identity.
func finishPod(pod *v1.Pod, fileName, nodeName string) {
	pod.Spec.NodeName = nodeName
	pod.UID = PodUID(pod, fileName, nodeName)
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[AnnotationConfigSource] = configSourceFile
	pod.Annotations[AnnotationConfigHash] = string(pod.UID)
	pod.Annotations[AnnotationManifestFile] = fileName
}
