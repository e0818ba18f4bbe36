package volume

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// downwardAPI holds the pod's own fields as files. It needs no API
// server, so static pods may use it too.
type downwardAPI struct{}

func (downwardAPI) Name() string                     { return "downwardAPI" }
func (downwardAPI) Has(source *v1.VolumeSource) bool { return source.DownwardAPI != nil }
func (downwardAPI) TearDown(string) error            { return nil }

// Check refuses an item this agent cannot fill, so a static pod learns it
// when its manifest is read rather than when its container starts.
func (downwardAPI) Check(source *v1.VolumeSource, path *field.Path) []Problem {
	var problems []Problem
	for i, item := range source.DownwardAPI.Items {
		itemPath := path.Child("downwardAPI", "items").Index(i)
		if _, err := downwardItem(&v1.Pod{}, item.FieldRef, item.ResourceFieldRef, nil); err != nil && item.ResourceFieldRef == nil {
			problems = append(problems, invalid(itemPath.Child("fieldRef", "fieldPath"), item.FieldRef, err.Error()))
		}
	}
	return problems
}

func (downwardAPI) SetUp(_ context.Context, pod *v1.Pod, vol *v1.Volume, host Host) (string, error) {
	dir := filepath.Join(host.PodDir, downwardAPIsDir, vol.Name)
	payload, err := downwardAPIPayload(pod, vol.DownwardAPI.Items, modeOr(vol.DownwardAPI.DefaultMode), host.Allocatable)
	if err != nil {
		return "", fmt.Errorf("downwardAPI volume %q: %w", vol.Name, err)
	}
	if err := setUpPayload(dir, false, payload, pod, host.refreshOnly); err != nil {
		return "", fmt.Errorf("downwardAPI volume %q: %w", vol.Name, err)
	}
	return dir, nil
}

// downwardAPIPayload is the files of a downwardAPI volume or projection:
// each item's pod field or container resource at its path.
func downwardAPIPayload(pod *v1.Pod, items []v1.DownwardAPIVolumeFile, mode int32, allocatable v1.ResourceList) (Payload, error) {
	payload := Payload{}
	for _, item := range items {
		value, err := downwardItem(pod, item.FieldRef, item.ResourceFieldRef, allocatable)
		if err != nil {
			return nil, fmt.Errorf("item %q: %w", item.Path, err)
		}
		fileMode := mode
		if item.Mode != nil {
			fileMode = *item.Mode
		}
		payload[item.Path] = File{Data: []byte(value), Mode: fileMode}
	}
	return payload, nil
}

func downwardItem(pod *v1.Pod, fieldRef *v1.ObjectFieldSelector, resourceRef *v1.ResourceFieldSelector, allocatable v1.ResourceList) (string, error) {
	switch {
	case fieldRef != nil:
		return podMetadataField(pod, fieldRef.FieldPath)
	case resourceRef != nil:
		for i := range pod.Spec.Containers {
			if c := &pod.Spec.Containers[i]; c.Name == resourceRef.ContainerName {
				return translate.ResourceFieldValue(c, resourceRef, allocatable), nil
			}
		}
		return "", fmt.Errorf("resourceFieldRef names container %q, which the pod does not have", resourceRef.ContainerName)
	default:
		return "", fmt.Errorf("neither fieldRef nor resourceFieldRef is set")
	}
}

// podMetadataField is one of the pod fields a downwardAPI volume may
// hold: its name, namespace, UID, labels and annotations (all, or one by
// key), formatted as the kubelet formats them.
func podMetadataField(pod *v1.Pod, path string) (string, error) {
	switch path {
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	}
	if value, ok, err := translate.MetadataField(pod, path); ok || err != nil {
		return value, err
	}
	return "", fmt.Errorf("fieldRef %q is not supported (use metadata.name, metadata.namespace, metadata.uid, "+
		"metadata.labels, metadata.annotations, or metadata.labels['KEY'] / metadata.annotations['KEY'])", path)
}

// formatMap is a map as the kubelet writes labels and annotations: one
// key="value" per line, sorted by key, the value quoted.
func formatMap(m map[string]string) string {
	lines := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		lines = append(lines, k+"="+strconv.Quote(m[k]))
	}
	return strings.Join(lines, "\n")
}
