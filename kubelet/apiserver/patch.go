package apiserver

import (
	"encoding/json"
	"mime"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// patchPod serves PATCH with a JSON merge patch (RFC 7386), the kind
// `kubectl patch --type merge`, `label` and `annotate` send. The patch applies to the pod as served,
// without status and server-set metadata; the result replaces the manifest.
func (s *Server) patchPod(w http.ResponseWriter, r *http.Request) {
	current, err := s.lookup(r.PathValue("namespace"), r.PathValue("name"))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	patch, err := readBody(r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	original, err := json.Marshal(current.Pod)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	patched, err := applyPatch(r.Header.Get("Content-Type"), original, patch)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	object, err := decodeObject(patched)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	cleanPodObject(object)
	s.update(w, r, object)
}

// applyPatch applies a patch of the given content type to a JSON object.
func applyPatch(contentType string, original, patch []byte) ([]byte, error) {
	kind, _, _ := mime.ParseMediaType(contentType)
	switch types.PatchType(kind) {
	case types.MergePatchType:
		var target, delta any
		if err := json.Unmarshal(original, &target); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(patch, &delta); err != nil {
			return nil, apierrors.NewBadRequest("the merge patch is not JSON: " + err.Error())
		}
		return json.Marshal(mergePatch(target, delta))
	default:
		// Strategic merge patches (kubectl apply, edit) need the pod's
		// OpenAPI schema, which pulls a large dependency tree into the agent.
		return nil, &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType, Reason: metav1.StatusReasonUnsupportedMediaType,
			Message: "patch type " + kind + " is not supported: this node API takes application/merge-patch+json " +
				"(kubectl patch --type merge); to replace a pod use `minikubelet apply -f`",
		}}
	}
}

// mergePatch applies an RFC 7386 merge patch: objects merge key by key, a
// null deletes the key, anything else replaces the target.
func mergePatch(target, patch any) any {
	delta, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	base, ok := target.(map[string]any)
	if !ok {
		base = map[string]any{}
	}
	for key, value := range delta {
		if value == nil {
			delete(base, key)
			continue
		}
		base[key] = mergePatch(base[key], value)
	}
	return base
}
