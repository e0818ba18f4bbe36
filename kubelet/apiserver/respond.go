package apiserver

import (
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// podResource names pods in errors, as the Kubernetes API does.
var podResource = schema.GroupResource{Resource: "pods"}

// writeJSON sends obj with the status code.
func writeJSON(w http.ResponseWriter, code int, obj any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(obj)
}

// writeError sends err as a Kubernetes Status, the shape every client
// (kubectl included) turns into a readable message. Errors that are not
// API errors become 500s, logged since they are the agent's fault.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	var statusErr apierrors.APIStatus
	if !errors.As(err, &statusErr) {
		if log != nil {
			log.Error("API request failed", "err", err)
		}
		statusErr = apierrors.NewInternalError(err)
	}
	status := statusErr.Status()
	status.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	writeJSON(w, int(status.Code), status)
}

// notFound is the 404 for a pod, worded like the Kubernetes API's.
func notFound(name string) error { return apierrors.NewNotFound(podResource, name) }

// tableVersion returns the meta.k8s.io version of a Table the client
// accepts ("v1" or "v1beta1"), or "" when it wants plain objects, as
// `kubectl get` asks with "application/json;as=Table;v=v1;g=meta.k8s.io".
func tableVersion(r *http.Request) string {
	for _, accept := range r.Header.Values("Accept") {
		for _, mediaRange := range strings.Split(accept, ",") {
			kind, params, err := mime.ParseMediaType(strings.TrimSpace(mediaRange))
			if err != nil || (kind != "application/json" && kind != "*/*") {
				continue
			}
			if params["as"] == "" {
				return "" // the client prefers plain objects
			}
			if params["as"] == "Table" && params["g"] == metav1.GroupName && (params["v"] == "v1" || params["v"] == "v1beta1") {
				return params["v"]
			}
		}
	}
	return ""
}

// includeObject reads how much of each object a Table row carries:
// "None", "Metadata" (the default, enough for kubectl's NAMESPACE column)
// or "Object".
func includeObject(r *http.Request) (metav1.IncludeObjectPolicy, error) {
	switch policy := metav1.IncludeObjectPolicy(r.URL.Query().Get("includeObject")); policy {
	case "":
		return metav1.IncludeMetadata, nil
	case metav1.IncludeNone, metav1.IncludeMetadata, metav1.IncludeObject:
		return policy, nil
	default:
		return "", apierrors.NewBadRequest("includeObject=" + string(policy) + ": use None, Metadata or Object")
	}
}
