package apiserver

import (
	"encoding/json"
	"maps"
	"net/http"

	v1 "k8s.io/api/core/v1"
)

// update writes object, a cleaned pod object, over the existing pod's
// manifest. A change of labels or annotations alone keeps the pod's UID
// (staticpods.PodUID leaves them out), so the sync loop updates the pod in
// place; any other change gives a new UID, and the pod is replaced.
func (s *Server) update(w http.ResponseWriter, r *http.Request, object map[string]any) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	if _, err := s.bindName(object, ns, name); err != nil {
		writeError(w, s.log, err)
		return
	}
	current, err := s.lookup(ns, name)
	if err == nil {
		err = s.checkOwnFile(current.View.File, ns, name)
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	checked, err := s.checkManifest(current.View.File, object, name)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if unchanged(current, checked.Pod) {
		writeJSON(w, http.StatusOK, current.Pod) // nothing to do
		return
	}
	dryRun := isDryRun(r)
	if !dryRun {
		text := s.editedManifest(current, object, checked)
		if err := writeManifest(checked.Path, text, true); err != nil {
			writeError(w, s.log, err)
			return
		}
	}
	inPlace := checked.Pod.UID == current.Pod.UID
	s.log.Info("pod updated through the API", "pod", ns+"/"+name, "manifest", checked.Path, "inPlace", inPlace, "dryRun", dryRun)
	if !dryRun {
		if p := s.await(r.Context(), checked.Pod); p != nil {
			writeJSON(w, http.StatusOK, p.Pod)
			return
		}
	}
	writeJSON(w, http.StatusOK, preview(current.Pod, checked.Pod))
}

// unchanged says whether a checked manifest is the pod the agent runs
// already: same spec (the UID hashes it) and same labels and annotations.
// A pod running its last good spec while its file is broken is never
// unchanged: writing fixes the file.
func unchanged(current *servedPod, checked *v1.Pod) bool {
	return checked.UID == current.Pod.UID && !current.View.Stale && sameUserMetadata(current.Pod, checked)
}

// sameUserMetadata compares what users set on a pod besides its spec: its
// labels and annotations, without those the source and the API add.
func sameUserMetadata(a, b *v1.Pod) bool {
	return maps.Equal(a.Labels, b.Labels) && maps.Equal(userAnnotations(a), userAnnotations(b))
}

// userAnnotations are a pod's annotations without the source's own.
func userAnnotations(pod *v1.Pod) map[string]string {
	out := maps.Clone(pod.Annotations)
	for _, key := range sourceAnnotations {
		delete(out, key)
	}
	return out
}

// preview is the pod as it will be served once the sync loop has read the
// new manifest: the current pod with the new metadata and spec (and UID,
// when the spec changed). A dry run answers with it, as does a write the
// sync loop has not picked up within CreateWait. The status is the current
// one: `kubectl diff` then shows what the change does, not a status reset.
func preview(current, checked *v1.Pod) *v1.Pod {
	pod := current.DeepCopy()
	pod.UID = checked.UID
	// The checked pod carries the source's annotations, decoded from the
	// same file as the served one, and the new UID as its config hash.
	pod.Labels, pod.Annotations = maps.Clone(checked.Labels), maps.Clone(checked.Annotations)
	nodeName := pod.Spec.NodeName
	pod.Spec = *checked.Spec.DeepCopy()
	if pod.Spec.NodeName == "" {
		pod.Spec.NodeName = nodeName
	}
	return pod
}

// servedObjectJSON is a served pod's JSON, what patches apply to.
func servedObjectJSON(pod *v1.Pod) ([]byte, error) {
	return json.Marshal(pod)
}
