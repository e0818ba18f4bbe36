package volume

import (
	"context"
	"reflect"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// A Type is one kind of volume source.
type Type interface {
	// Name is the source's field in v1.VolumeSource, e.g. "emptyDir".
	Name() string
	// Has reports whether source is of this type.
	Has(source *v1.VolumeSource) bool
	// Check finds what is wrong with the source's own fields; path is the
	// volume's field path.
	Check(source *v1.VolumeSource, path *field.Path) []Problem
	// SetUp makes the host side of one of the pod's volumes and returns
	// the host path the runtime mounts. It is idempotent: every container
	// start calls it, and the periodic refresh of API-backed volumes.
	SetUp(ctx context.Context, pod *v1.Pod, vol *v1.Volume, host Host) (string, error)
	// TearDown undoes what SetUp made beyond plain files under podDir
	// (which the pod's cleanup removes), before the pod directory goes.
	TearDown(podDir string) error
}

// Host is what SetUp works with on the node.
type Host struct {
	// PodDir is the pod's directory, where its volumes live.
	PodDir string
	// Objects reads the ConfigMaps, Secrets and tokens API-backed
	// volumes hold; nil on a standalone node.
	Objects Objects
	// Allocatable is what the node offers pods: the downward API's limit
	// of a container that sets none.
	Allocatable v1.ResourceList
	// refreshOnly (Refresh) rewrites a volume only while it is set up.
	refreshOnly bool
}

// Problem is one thing wrong with a volume's fields: the structured error
// for API clients and the sentence for people.
type Problem struct {
	Err     *field.Error
	Message string
}

// supported are the types this agent sets up, in the order checked;
// static pods may not use those that read from the API server (refused.go).
var supported = []Type{emptyDir{}, hostPath{}, downwardAPI{}, configMap{}, secret{}, projected{}, image{}}

// For returns the supported type of source, or nil.
func For(source *v1.VolumeSource) Type {
	for _, t := range supported {
		if t.Has(source) {
			return t
		}
	}
	return nil
}

// Supported returns the supported types.
func Supported() []Type { return append([]Type(nil), supported...) }

// SourceNames returns the JSON names of every source set in a volume: one
// for a valid volume, none for a volume that names no source yet.
func SourceNames(source *v1.VolumeSource) []string {
	var names []string
	value := reflect.ValueOf(source).Elem()
	for i := range value.NumField() {
		if f := value.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(value.Type().Field(i).Tag.Get("json"), ",")
			names = append(names, name)
		}
	}
	return names
}

// AlwaysReadOnly reports whether containers get the source read-only
// whatever their mount says: the agent rewrites these volumes, and a
// container's writes would be lost or, worse, read back by the writer.
// The kubelet mounts the same four read-only.
func AlwaysReadOnly(source *v1.VolumeSource) bool {
	return source.ConfigMap != nil || source.Secret != nil || source.DownwardAPI != nil || source.Projected != nil
}
