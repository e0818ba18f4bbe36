package apiserver

import (
	"errors"
	"fmt"
	"mime"
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

func init() {
	// A JSON patch's "copy" can double the document at every operation;
	// bound what copies may add, as the request body is bounded. The
	// result is then held to staticpods.MaxValues like any pod.
	jsonpatch.AccumulatedCopySizeLimit = 2 * maxBody
}

// patchPod serves PATCH with the patch types kubectl sends:
//   - a strategic merge patch (kubectl apply, edit, and patch by default),
//     which merges lists by the patch strategies and merge keys of
//     k8s.io/api's Pod (containers by name, ports by containerPort, ...);
//   - a JSON merge patch (RFC 7386: label, annotate, patch --type merge);
//   - a JSON patch (RFC 6902: patch --type json);
//   - a server-side apply (apply --server-side), served by applyPod.
//
// The patch applies to the pod as served, without status and server-set
// metadata; the result replaces the manifest.
func (s *Server) patchPod(w http.ResponseWriter, r *http.Request) {
	kind := patchType(r)
	if kind == types.ApplyYAMLPatchType || kind == types.ApplyCBORPatchType {
		s.applyPod(w, r)
		return
	}
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
	original, err := servedObjectJSON(current.Pod)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	patched, err := applyPatch(kind, original, patch)
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

// patchType is the request's patch type, its media type without
// parameters.
func patchType(r *http.Request) types.PatchType {
	kind, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return types.PatchType(kind)
}

// applyPatch applies a patch of the given type to a pod's JSON.
func applyPatch(kind types.PatchType, original, patch []byte) ([]byte, error) {
	switch kind {
	case types.StrategicMergePatchType:
		patched, err := strategicpatch.StrategicMergePatch(original, patch, &v1.Pod{})
		if err != nil {
			return nil, patchError("strategic merge patch", err)
		}
		return patched, nil
	case types.MergePatchType:
		patched, err := jsonpatch.MergePatch(original, patch)
		if err != nil {
			return nil, patchError("merge patch", err)
		}
		return patched, nil
	case types.JSONPatchType:
		operations, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest("the JSON patch is not a list of operations: " + err.Error())
		}
		patched, err := operations.Apply(original)
		if err != nil {
			return nil, patchError("JSON patch", err)
		}
		return patched, nil
	}
	return nil, &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType, Reason: metav1.StatusReasonUnsupportedMediaType,
		Message: fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: "+
			"%s, %s, %s, %s", types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType, types.ApplyYAMLPatchType),
	}}
}

// patchError is a 400 for a patch that is not well formed and a 422 for
// one that does not apply to the pod, as the API server answers.
func patchError(what string, err error) error {
	for _, malformed := range []error{
		mergepatch.ErrBadJSONDoc, mergepatch.ErrBadPatchFormatForPrimitiveList, mergepatch.ErrBadPatchFormatForRetainKeys,
		mergepatch.ErrBadPatchFormatForSetElementOrderList, mergepatch.ErrUnsupportedStrategicMergePatchFormat,
		jsonpatch.ErrBadJSONDoc, jsonpatch.ErrBadJSONPatch,
	} {
		if errors.Is(err, malformed) {
			return apierrors.NewBadRequest("the " + what + " is not well formed: " + err.Error())
		}
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnprocessableEntity, Reason: metav1.StatusReasonInvalid,
		Message: "the " + what + " does not apply to the pod: " + err.Error(),
	}}
}
