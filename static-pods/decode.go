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
// the FileError lists every problem found. fileName is used in messages and
// in the UID, so pass the absolute path for files.
func DecodeManifest(fileName string, data []byte, nodeName string) ([]*v1.Pod, *FileError) {
	var results []documentResult
	for _, doc := range splitDocuments(fileName, data) {
		if result := decodeDocument(doc, nodeName); !result.empty {
			results = append(results, result)
		}
	}
	markDuplicateNames(results)

	ferr := &FileError{File: fileName}
	if len(results) == 0 {
		ferr.add("", fileProblem("holds no pod (the file is empty or only has comments); write a Pod, or delete the file to remove its pods"))
	}
	pods := make([]*v1.Pod, 0, len(results))
	for i, result := range results {
		prefix := ""
		if len(results) > 1 {
			prefix = "document " + strconv.Itoa(i+1) + ": "
		}
		if result.syntaxError {
			prefix = "" // it names a line of the file, which says enough
		}
		for _, p := range result.problems {
			ferr.add(prefix, p)
		}
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

// documentResult is what one YAML document yielded.
type documentResult struct {
	empty       bool
	syntaxError bool                  // the YAML did not parse; problems name file lines
	pod         *v1.Pod               // set when problems is empty
	name        *types.NamespacedName // when the raw document names a pod
	problems    []problem
}

func decodeDocument(doc document, nodeName string) documentResult {
	jsonData, err := yaml.YAMLToJSONStrict(doc.text)
	if err != nil {
		return documentResult{syntaxError: true, problems: yamlProblems(err, doc)}
	}
	if bytes.Equal(bytes.TrimSpace(jsonData), []byte("null")) {
		return documentResult{empty: true}
	}
	var raw any
	decoder := json.NewDecoder(bytes.NewReader(jsonData))
	decoder.UseNumber()
	if err := decoder.Decode(&raw); err != nil {
		return documentResult{problems: []problem{fileProblem("cannot decode: %v", err)}}
	}
	object, ok := raw.(map[string]any)
	if !ok {
		return documentResult{problems: []problem{fileProblem(
			"holds %s, not a Pod (a Pod is an object with apiVersion: v1, kind: Pod, metadata and spec)", describeValue(raw))}}
	}
	result := documentResult{name: podNameOf(object)}
	result.problems = checkTypeMeta(object)
	if shapeProblems := checkShape(object, podType, nil); len(shapeProblems) > 0 {
		// Validating would only repeat these problems as missing fields.
		result.problems = append(result.problems, shapeProblems...)
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
			err: field.NotSupported(field.NewPath("apiVersion"), apiVersion, []string{"v1"}),
			msg: fmt.Sprintf("apiVersion %q is not \"v1\"", apiVersion),
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
			err: field.NotSupported(field.NewPath("kind"), kind, []string{"Pod"}),
			msg: fmt.Sprintf("kind %q is not \"Pod\"", kind),
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
		"pod is bound to node %q but this node is %q (remove nodeName: a static pod runs on the node that reads its file)",
		pod.Spec.NodeName, nodeName))}
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
