package apiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// openAPICoreRoute serves the OpenAPI v3 document of the core group.
const openAPICoreRoute = "GET /openapi/v3/api/v1"

// The OpenAPI v3 document describes only the pod operations, with no
// schemas. kubectl reads it for one thing before `create`: whether the
// server validates fields itself (the fieldValidation parameter). It does
// — every write goes through the strict manifest decoder — so kubectl
// skips its own schema validation, which would need the full schema.
var openAPICore = mustJSON(map[string]any{
	"openapi": "3.0.0",
	"info":    map[string]any{"title": "minikubelet node API", "version": "v1"},
	"paths": map[string]any{
		"/api/v1/namespaces/{namespace}/pods": map[string]any{
			"get":  podOperation("listCoreV1NamespacedPod", "list"),
			"post": podOperation("createCoreV1NamespacedPod", "post", fieldValidationParam),
		},
		"/api/v1/namespaces/{namespace}/pods/{name}": map[string]any{
			"get":    podOperation("readCoreV1NamespacedPod", "get"),
			"put":    podOperation("replaceCoreV1NamespacedPod", "put", fieldValidationParam),
			"patch":  podOperation("patchCoreV1NamespacedPod", "patch", fieldValidationParam),
			"delete": podOperation("deleteCoreV1NamespacedPod", "delete"),
		},
	},
})

var openAPICoreHash = func() string {
	sum := sha256.Sum256(openAPICore)
	return hex.EncodeToString(sum[:16])
}()

var fieldValidationParam = map[string]any{
	"name": "fieldValidation", "in": "query", "schema": map[string]any{"type": "string"},
	"description": "Accepted for compatibility: unknown and duplicate fields are always refused (Strict).",
}

func podOperation(id, action string, params ...map[string]any) map[string]any {
	op := map[string]any{
		"operationId":                     id,
		"responses":                       map[string]any{"200": map[string]any{"description": "OK"}},
		"x-kubernetes-action":             action,
		"x-kubernetes-group-version-kind": map[string]any{"group": "", "version": "v1", "kind": "Pod"},
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	return op
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings: cannot happen
	}
	return data
}

func (s *Server) openAPIRoot(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"paths": map[string]any{
			"api/v1": map[string]any{"serverRelativeURL": "/openapi/v3/api/v1?hash=" + openAPICoreHash},
		},
	})
}

func (s *Server) openAPICore(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPICore)
}
