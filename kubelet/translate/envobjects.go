package translate

import (
	"slices"

	v1 "k8s.io/api/core/v1"
)

// EnvObjects are the ConfigMaps and Secrets of the pod's namespace that a
// container's env and envFrom name (EnvObjectNames), read by the caller:
// a name absent from its map was not found.
type EnvObjects struct {
	ConfigMaps map[string]*v1.ConfigMap
	Secrets    map[string]*v1.Secret
	// Services are the ones whose variables the pod sees
	// (ServicesForPod), on a node joined to a cluster.
	Services []*v1.Service
}

// EnvObjectNames lists, each once and in spec order, the ConfigMaps and
// Secrets the container's envFrom and env name, for the caller to read.
func EnvObjectNames(c *v1.Container) (configMaps, secrets []string) {
	add := func(list []string, name string) []string {
		if slices.Contains(list, name) {
			return list
		}
		return append(list, name)
	}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef != nil {
			configMaps = add(configMaps, from.ConfigMapRef.Name)
		}
		if from.SecretRef != nil {
			secrets = add(secrets, from.SecretRef.Name)
		}
	}
	for _, e := range c.Env {
		if e.Value != "" || e.ValueFrom == nil {
			continue
		}
		if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil {
			configMaps = add(configMaps, ref.Name)
		}
		if ref := e.ValueFrom.SecretKeyRef; ref != nil {
			secrets = add(secrets, ref.Name)
		}
	}
	return configMaps, secrets
}
