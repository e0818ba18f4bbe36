package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// maxBody bounds a request body as the manifest source bounds one pod:
// no cluster stores a larger object.
const maxBody = staticpods.MaxPodBytes

// createPod serves POST /api/v1/namespaces/{ns}/pods: the pod is checked
// as a manifest and written as <namespace>_<name>.yaml, so the directory
// stays the one source of truth; the sync loop then runs it.
func (s *Server) createPod(w http.ResponseWriter, r *http.Request) {
	object, err := readPodObject(r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	name, err := s.bindName(object, r.PathValue("namespace"), "")
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	ns := r.PathValue("namespace")
	if _, err := s.lookup(ns, name); err == nil {
		writeError(w, s.log, apierrors.NewAlreadyExists(podResource, name))
		return
	}
	checked, err := s.checkManifest(s.manifestPath(ns, name), object, name)
	if err == nil && !isDryRun(r) {
		if err = writeManifest(checked.Path, checked.YAML, false); errors.Is(err, errManifestExists) {
			err = apierrors.NewAlreadyExists(podResource, name)
		}
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	s.log.Info("pod created through the API", "pod", ns+"/"+name, "manifest", checked.Path, "dryRun", isDryRun(r))
	writeJSON(w, http.StatusCreated, s.written(r.Context(), checked, isDryRun(r)))
}

// replacePod serves PUT: the pod's manifest file is rewritten with the
// new spec. An unchanged spec leaves the file, and the pod, alone.
func (s *Server) replacePod(w http.ResponseWriter, r *http.Request) {
	object, err := readPodObject(r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	s.update(w, r, object)
}

// deletePod serves DELETE: the manifest that defines the pod is removed,
// whichever file it is, and the sync loop stops the pod.
func (s *Server) deletePod(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	opts, err := readDeleteOptions(r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	current, err := s.lookup(ns, name)
	if err == nil && opts.Preconditions != nil && opts.Preconditions.UID != nil && *opts.Preconditions.UID != current.Pod.UID {
		err = apierrors.NewConflict(podResource, name, fmt.Errorf("the precondition UID %s does not match the pod's UID %s", *opts.Preconditions.UID, current.Pod.UID))
	}
	if err == nil && current.Pod.DeletionTimestamp != nil {
		writeJSON(w, http.StatusOK, current.Pod) // already going away
		return
	}
	if err == nil {
		err = s.checkOwnFile(current.View.File, ns, name)
	}
	grace := requestedGrace(opts)
	if err == nil && !isDryRun(r) {
		s.setDeletionGrace(current.Pod, grace)
		if err = os.Remove(current.View.File); err != nil && !errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("removing manifest %s: %w", current.View.File, err)
		} else {
			err = nil
		}
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	s.log.Info("pod deleted through the API", "pod", ns+"/"+name, "manifest", current.View.File, "dryRun", isDryRun(r))
	pod := current.Pod.DeepCopy()
	now := metav1.NewTime(s.cfg.Now())
	pod.DeletionTimestamp = &now
	pod.DeletionGracePeriodSeconds = new(deletionGracePeriod(pod, grace))
	writeJSON(w, http.StatusOK, pod)
}

// setDeletionGrace hands a delete's gracePeriodSeconds to the sync loop
// before the manifest goes, so the pod is stopped with that grace period
// instead of its spec's.
func (s *Server) setDeletionGrace(pod *v1.Pod, seconds *int64) {
	if seconds != nil {
		s.cfg.Pods.SetDeletionGracePeriod(pod.UID, *seconds)
	}
}

// readPodObject reads a JSON or YAML pod from the body, keeping numbers
// exact, with status and server-set metadata removed.
func readPodObject(r *http.Request) (map[string]any, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if kind, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); kind == "application/yaml" {
		if data, err = yaml.YAMLToJSON(data); err != nil {
			return nil, apierrors.NewBadRequest("the body is not valid YAML: " + err.Error())
		}
	}
	object, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	cleanPodObject(object)
	return object, nil
}

// decodeObject decodes a pod object, once it is known to hold at most
// staticpods.MaxValues values (YAML aliases and merge patches can make it
// far larger than the body was).
func decodeObject(data []byte) (map[string]any, error) {
	if staticpods.CheckValueCount(data) != nil {
		return nil, tooManyValues()
	}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	var object map[string]any
	if err := decoder.Decode(&object); err != nil || object == nil {
		return nil, apierrors.NewBadRequest("the body is not a JSON object: send a Pod")
	}
	return object, nil
}

// readBody reads a request body of at most maxBody bytes, holding at most
// staticpods.MaxValues values, checked before anything decodes it: a body
// of "[1,1,1,…]" costs a JSON decoder hundreds of bytes per byte.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBody {
		return nil, bodyOverLimit()
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, apierrors.NewBadRequest("reading the request body: " + err.Error())
	}
	if len(data) > maxBody {
		return nil, bodyOverLimit()
	}
	if staticpods.CheckComplexity(data) != nil {
		return nil, tooManyValues()
	}
	return data, nil
}

func bodyOverLimit() error {
	return bodyTooLarge(fmt.Sprintf("the request body is over the %s (%d bytes) limit on a pod; a cluster stores no larger object",
		staticpods.MaxPodSize, maxBody))
}

func tooManyValues() error {
	return bodyTooLarge(fmt.Sprintf("the request body holds more values than any pod needs: a pod may hold at most %d "+
		"(field names, values and list items)", staticpods.MaxValues))
}

// bodyTooLarge is a 413 Status whose message says what is too large.
func bodyTooLarge(message string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusRequestEntityTooLarge,
		Reason: metav1.StatusReasonRequestEntityTooLarge, Message: message,
	}}
}

// readDeleteOptions reads DeleteOptions from the body or, when the body is
// empty, from the query string, as the API server does.
func readDeleteOptions(r *http.Request) (metav1.DeleteOptions, error) {
	var opts metav1.DeleteOptions
	data, err := readBody(r)
	if err != nil {
		return opts, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return deleteOptionsFromQuery(r.URL.Query())
	}
	if err := json.Unmarshal(data, &opts); err != nil {
		return opts, apierrors.NewBadRequest("the body is not DeleteOptions: " + err.Error())
	}
	return opts, nil
}

// bindName checks the object's namespace and name against the request's,
// fills in a missing namespace and generates a name from generateName.
// want is the name in the URL, "" on create.
func (s *Server) bindName(object map[string]any, namespace, want string) (string, error) {
	meta, _ := object["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		object["metadata"] = meta
	}
	if ns, _ := meta["namespace"].(string); ns == "" {
		meta["namespace"] = namespace
	} else if ns != namespace {
		return "", apierrors.NewBadRequest(fmt.Sprintf("the namespace of the pod (%s) does not match the namespace of the request (%s)", shortName(ns), namespace))
	}
	name, _ := meta["name"].(string)
	if prefix, _ := meta["generateName"].(string); name == "" && prefix != "" && want == "" {
		name = prefix + randomSuffix()[:5]
		meta["name"] = name
		delete(meta, "generateName")
	}
	switch {
	case name == "":
		return "", fieldError("", field.Required(field.NewPath("metadata", "name"), "name or generateName is required"))
	case want != "" && name != want:
		return "", apierrors.NewBadRequest(fmt.Sprintf("the name of the pod (%s) does not match the name in the URL (%s)", shortName(name), want))
	}
	return name, nil
}

// shortName bounds a name from a request body quoted in an answer: a
// body may hold a "name" of megabytes, refused later as too long.
func shortName(name string) string {
	const limit = 253 // the longest valid pod name
	if len(name) <= limit {
		return name
	}
	return strings.ToValidUTF8(name[:limit], "") + "…"
}

func isDryRun(r *http.Request) bool {
	for _, v := range r.URL.Query()["dryRun"] {
		if v == metav1.DryRunAll {
			return true
		}
	}
	return false
}

// written is the answer to a create: the pod as the sync loop shows it
// once it has read the new manifest, or, if that takes longer than
// CreateWait (or nothing was written), the pod as decoded from it.
func (s *Server) written(ctx context.Context, checked checkedManifest, dryRun bool) *v1.Pod {
	if !dryRun {
		if p := s.await(ctx, checked.Pod); p != nil {
			return p.Pod
		}
	}
	pod := checked.Pod.DeepCopy()
	pod.APIVersion, pod.Kind = "v1", "Pod"
	pod.CreationTimestamp = metav1.NewTime(s.cfg.Now())
	pod.Status.Phase = v1.PodPending
	return pod
}

// await waits until the store serves the pod want: the same UID, labels
// and annotations.
func (s *Server) await(ctx context.Context, want *v1.Pod) *servedPod {
	timer := time.NewTimer(s.cfg.CreateWait)
	defer timer.Stop()
	for {
		snap := s.store.sync()
		for _, p := range snap.Pods {
			if p.Pod.Namespace == want.Namespace && p.Pod.Name == want.Name && p.Pod.UID == want.UID && sameUserMetadata(p.Pod, want) {
				return p
			}
		}
		select {
		case <-snap.Changed:
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}
