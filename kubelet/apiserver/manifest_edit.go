package apiserver

import (
	"reflect"

	v1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"

	"github.com/minikubelet/minikubelet/kubelet/apiserver/manifestedit"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// editedManifest is the text an update writes: the file's own text with
// the change applied in place (its key order, comments and quoting kept;
// see manifestedit) when that decodes to exactly the checked pod, else the
// checked pod in the API's own layout (keys sorted), as a create writes it.
func (s *Server) editedManifest(current *servedPod, object map[string]any, checked checkedManifest) []byte {
	edited, err := s.editInPlace(current, object, checked.Path)
	if err != nil {
		s.log.Debug("rewriting the manifest in the API's layout", "manifest", checked.Path, "reason", err)
		return checked.YAML
	}
	pods, ferr := staticpods.DecodeManifest(checked.Path, edited, s.cfg.NodeName)
	if ferr != nil || len(pods) != 1 || !apiequality.Semantic.DeepEqual(pods[0], checked.Pod) {
		s.log.Info("the change does not fit the manifest's own layout (YAML aliases or merge keys?); rewriting the file in the API's layout",
			"manifest", checked.Path)
		return checked.YAML
	}
	return edited
}

// editInPlace applies the change from the served pod to object to the
// text of the pod's manifest.
func (s *Server) editInPlace(current *servedPod, object map[string]any, path string) ([]byte, error) {
	original, err := staticpods.ReadManifestFile(path)
	if err != nil {
		return nil, err
	}
	base, err := cleanedObject(current.Pod)
	if err != nil {
		return nil, err
	}
	return manifestedit.Edit(original, base, object, reflect.TypeOf(v1.Pod{}))
}

// cleanedObject is a served pod as a pod object a client would send:
// without status and what the agent sets.
func cleanedObject(pod *v1.Pod) (map[string]any, error) {
	data, err := servedObjectJSON(pod)
	if err != nil {
		return nil, err
	}
	object, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	cleanPodObject(object)
	return object, nil
}
