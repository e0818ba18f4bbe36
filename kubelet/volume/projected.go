package volume

import (
	"context"
	"fmt"
	"path/filepath"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// projected holds several sources in one directory on a tmpfs: Secrets,
// ConfigMaps, downward API fields and service account tokens. Every pod
// of a cluster has one, kube-api-access-*, unless it opts out.
type projected struct{}

func (projected) Name() string                     { return "projected" }
func (projected) Has(source *v1.VolumeSource) bool { return source.Projected != nil }
func (projected) TearDown(podDir string) error     { return unmountAll(podDir, projectedDir) }

// Check refuses the sources this agent cannot fill.
func (projected) Check(source *v1.VolumeSource, path *field.Path) []Problem {
	var problems []Problem
	for i, s := range source.Projected.Sources {
		if what := unsupportedProjection(&s); what != "" {
			problems = append(problems, invalid(path.Child("projected", "sources").Index(i).Child(what), what, what+" projections are not supported"))
		}
	}
	return problems
}

func unsupportedProjection(s *v1.VolumeProjection) string {
	switch {
	case s.ClusterTrustBundle != nil:
		return "clusterTrustBundle"
	case s.PodCertificate != nil:
		return "podCertificate"
	}
	return ""
}

func (projected) SetUp(ctx context.Context, pod *v1.Pod, vol *v1.Volume, host Host) (string, error) {
	dir := filepath.Join(host.PodDir, projectedDir, vol.Name)
	payload, err := projectedPayload(ctx, host, pod, vol.Projected)
	if err != nil {
		return "", fmt.Errorf("projected volume %q: %w", vol.Name, err)
	}
	if err := setUpPayload(dir, true, payload, pod, host.refreshOnly); err != nil {
		return "", fmt.Errorf("projected volume %q: %w", vol.Name, err)
	}
	return dir, nil
}

// projectedPayload gathers every source's files.
func projectedPayload(ctx context.Context, host Host, pod *v1.Pod, src *v1.ProjectedVolumeSource) (Payload, error) {
	mode := modeOr(src.DefaultMode)
	payload := Payload{}
	for i := range src.Sources {
		part, err := projection(ctx, host, pod, &src.Sources[i], mode)
		if err == nil {
			err = merge(payload, part)
		}
		if err != nil {
			return nil, fmt.Errorf("sources[%d]: %w", i, err)
		}
	}
	return payload, nil
}

func projection(ctx context.Context, host Host, pod *v1.Pod, s *v1.VolumeProjection, mode int32) (Payload, error) {
	objects := host.Objects
	if what := unsupportedProjection(s); what != "" {
		return nil, fmt.Errorf("%s projections are not supported", what)
	}
	switch {
	case s.ConfigMap != nil:
		return configMapPayload(ctx, objects, pod.Namespace, &v1.ConfigMapVolumeSource{
			LocalObjectReference: s.ConfigMap.LocalObjectReference, Items: s.ConfigMap.Items, Optional: s.ConfigMap.Optional}, mode)
	case s.Secret != nil:
		return secretPayload(ctx, objects, pod.Namespace, &v1.SecretVolumeSource{
			SecretName: s.Secret.Name, Items: s.Secret.Items, Optional: s.Secret.Optional}, mode)
	case s.DownwardAPI != nil:
		return downwardAPIPayload(pod, s.DownwardAPI.Items, mode, host.Allocatable)
	case s.ServiceAccountToken != nil:
		return tokenPayload(ctx, objects, pod, s.ServiceAccountToken, mode)
	}
	return Payload{}, nil
}

// tokenPayload is a bound token of the pod's service account. With an
// fsGroup the file is 0600 before the group's read bit, as under the
// kubelet, so only the pod's users read it.
func tokenPayload(ctx context.Context, objects Objects, pod *v1.Pod, s *v1.ServiceAccountTokenProjection, mode int32) (Payload, error) {
	if objects == nil {
		return nil, errNoAPIServer
	}
	token, err := objects.ServiceAccountToken(ctx, pod, s)
	if err != nil {
		return nil, err
	}
	if fsGroup(pod) != nil {
		mode = 0o600
	}
	return Payload{s.Path: {Data: []byte(token), Mode: mode}}, nil
}
