package apiserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// serverSetMetadata are the metadata fields the API sets; a written
// manifest leaves them out so it reads like one a person wrote, and so a
// pod saved with `get -o yaml` can be created again.
var serverSetMetadata = []string{
	"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
	"deletionGracePeriodSeconds", "managedFields", "selfLink",
}

// sourceAnnotations are set by the manifest source on every pod it reads.
var sourceAnnotations = []string{
	staticpods.AnnotationConfigSource, staticpods.AnnotationConfigHash, staticpods.AnnotationManifestFile,
}

// cleanPodObject strips what the agent sets (status, server metadata, the
// source's annotations) from a decoded pod object, in place.
func cleanPodObject(object map[string]any) {
	delete(object, "status")
	meta, ok := object["metadata"].(map[string]any)
	if !ok {
		return
	}
	for _, key := range serverSetMetadata {
		delete(meta, key)
	}
	if annotations, ok := meta["annotations"].(map[string]any); ok {
		for _, key := range sourceAnnotations {
			delete(annotations, key)
		}
		if len(annotations) == 0 {
			delete(meta, "annotations")
		}
	}
}

// manifestPath is where the API writes a pod it creates.
func (s *Server) manifestPath(namespace, name string) string {
	return filepath.Join(s.cfg.ManifestDir, namespace+"_"+name+".yaml")
}

// checkedManifest is a pod object validated as the manifest it becomes.
type checkedManifest struct {
	Path string
	YAML []byte
	Pod  *v1.Pod
}

// checkManifest turns a cleaned pod object into the manifest text and
// validates it exactly as the manifest source will: same decoder, same
// path, same node. Problems become a 422 with one cause per field.
func (s *Server) checkManifest(path string, object map[string]any, name string) (checkedManifest, error) {
	text, err := yaml.Marshal(object)
	if err != nil {
		return checkedManifest{}, apierrors.NewBadRequest("encoding the pod as YAML: " + err.Error())
	}
	pods, ferr := staticpods.DecodeManifest(path, text, s.cfg.NodeName)
	if ferr != nil {
		return checkedManifest{}, invalidPod(name, path, ferr)
	}
	if len(pods) != 1 {
		return checkedManifest{}, apierrors.NewBadRequest(fmt.Sprintf("the request holds %d pods; send one", len(pods)))
	}
	return checkedManifest{Path: path, YAML: text, Pod: pods[0]}, nil
}

// invalidPod is the 422 for a manifest the decoder refused; its message
// keeps the decoder's hints, which say how to fix each field.
// Its size is bounded: the decoder lists at most 101 problems of at most
// 512 bytes, and the name is shortened.
func invalidPod(name, path string, ferr *staticpods.FileError) error {
	messages := ferr.Problems()
	name = shortName(name)
	status := metav1.Status{
		Status: metav1.StatusFailure, Code: 422, Reason: metav1.StatusReasonInvalid,
		Message: fmt.Sprintf("Pod %q is invalid: %s", name, strings.Join(messages, "; ")),
		Details: &metav1.StatusDetails{Name: name, Kind: "Pod"},
	}
	for i, fe := range ferr.Errors {
		cause := metav1.StatusCause{Message: messages[min(i, len(messages)-1)]}
		if fe != nil {
			cause.Type, cause.Field = metav1.CauseType(fe.Type), fe.Field
		}
		status.Details.Causes = append(status.Details.Causes, cause)
	}
	return &apierrors.StatusError{ErrStatus: status}
}

// writeManifest writes data to path through a hidden temporary file the
// source ignores, so the source only ever sees the whole file. With
// replace false it refuses to overwrite an existing file. A manifest can
// hold secrets (env values), so a new file is 0600 and a replaced one
// keeps its mode and owner.
func writeManifest(path string, data []byte, replace bool) error {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, "."+filepath.Base(path)+"."+randomSuffix()+".tmp")
	perms := newManifestPerms
	if replace {
		var err error
		if perms, err = permsOf(path); err != nil {
			return fmt.Errorf("replacing manifest %s: %w", path, err)
		}
	}
	if err := writeSynced(tmp, data, perms); err != nil {
		return fmt.Errorf("writing manifest %s: %w", path, err)
	}
	defer os.Remove(tmp)
	if replace {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("replacing manifest %s: %w", path, err)
		}
		return nil
	}
	// A hard link fails if path exists, where a rename would clobber it.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return errManifestExists
		}
		return fmt.Errorf("creating manifest %s: %w", path, err)
	}
	return nil
}

var errManifestExists = errors.New("manifest file exists")

// filePerms are a file's permission bits and owner.
type filePerms struct {
	mode     fs.FileMode
	uid, gid int
}

// newManifestPerms are those of a manifest the API creates: readable by
// its owner, the agent, alone.
var newManifestPerms = filePerms{mode: 0o600, uid: os.Getuid(), gid: os.Getgid()}

// permsOf reads the permissions of the file at path (through a symlink,
// as a person sees them); a file gone meanwhile gets newManifestPerms.
func permsOf(path string) (filePerms, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newManifestPerms, nil
	}
	if err != nil {
		return filePerms{}, err
	}
	perms := filePerms{mode: info.Mode().Perm(), uid: os.Getuid(), gid: os.Getgid()}
	if stat, ok := info.Sys().(*syscall.Stat_t); ok {
		perms.uid, perms.gid = int(stat.Uid), int(stat.Gid)
	}
	return perms, nil
}

// writeSynced creates path 0600, writes and syncs data, then gives the
// file its owner and mode, so the content is never more readable than
// intended, whatever the umask.
func writeSynced(path string, data []byte, perms filePerms) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err == nil && (perms.uid != os.Getuid() || perms.gid != os.Getgid()) {
		err = f.Chown(perms.uid, perms.gid)
	}
	if err == nil {
		err = f.Chmod(perms.mode)
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// podsInFile names the pods a manifest file defines (or tries to, when it
// is invalid), so a write never touches another pod's file by accident.
func (s *Server) podsInFile(path string) ([]string, error) {
	data, err := staticpods.ReadManifestFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: it %w", path, err)
	}
	pods, ferr := staticpods.DecodeManifest(path, data, s.cfg.NodeName)
	var names []string
	if ferr != nil {
		for _, n := range ferr.Pods {
			names = append(names, n.String())
		}
		return names, nil
	}
	for _, p := range pods {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	return names, nil
}

// checkOwnFile refuses to rewrite or remove a file that also defines other
// pods, naming them, and a file outside the manifest directory.
func (s *Server) checkOwnFile(path, namespace, name string) error {
	if filepath.Dir(path) != s.cfg.ManifestDir {
		return apierrors.NewForbidden(podResource, name, fmt.Errorf("its manifest %s is not in the manifest directory %s", path, s.cfg.ManifestDir))
	}
	names, err := s.podsInFile(path)
	if err != nil {
		return err
	}
	self := namespace + "/" + name
	for _, n := range names {
		if n != self {
			return apierrors.NewConflict(podResource, name, fmt.Errorf(
				"its manifest %s also defines %s; edit that file by hand, or move the pod into a file of its own",
				path, strings.Join(names, ", ")))
		}
	}
	return nil
}

// podKind is the GroupKind of errors about pod objects.
var podKind = schema.GroupKind{Kind: "Pod"}

// fieldError builds a 422 about one field of a request's pod.
func fieldError(name string, fe *field.Error) error {
	return apierrors.NewInvalid(podKind, name, field.ErrorList{fe})
}
