package kubelet

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// envObjects reads the ConfigMaps and Secrets the container's env and
// envFrom name, and the Services the pod sees, for translate.ContainerEnv. A missing one is left out for
// ContainerEnv to judge (an optional reference may name it); any other
// read error fails the start, which is retried, as the kubelet's does.
func (k *Kubelet) envObjects(ctx context.Context, pod *v1.Pod, c *v1.Container) (translate.EnvObjects, error) {
	var services []*v1.Service
	if k.cfg.Services != nil {
		var err error
		if services, err = k.cfg.Services.ForPod(pod.Namespace, pod.Spec.EnableServiceLinks, k.isStatic(pod.UID)); err != nil {
			return translate.EnvObjects{}, fmt.Errorf("container %s: %w", c.Name, err)
		}
	}
	configMaps, secrets := translate.EnvObjectNames(c)
	if len(configMaps)+len(secrets) == 0 {
		return translate.EnvObjects{Services: services}, nil
	}
	objects := k.cfg.PodObjects
	if objects == nil {
		return translate.EnvObjects{}, fmt.Errorf("container %s: its env names ConfigMaps or Secrets, which only a node joined to a cluster can read; "+
			"set the values with env[].value", c.Name)
	}
	out := translate.EnvObjects{ConfigMaps: map[string]*v1.ConfigMap{}, Secrets: map[string]*v1.Secret{}, Services: services}
	for _, name := range configMaps {
		cm, err := objects.ConfigMap(ctx, pod.Namespace, name)
		if err := keepFound(out.ConfigMaps, name, cm, err); err != nil {
			return translate.EnvObjects{}, fmt.Errorf("container %s: reading ConfigMap %s/%s for its env: %w", c.Name, pod.Namespace, name, err)
		}
	}
	for _, name := range secrets {
		secret, err := objects.Secret(ctx, pod.Namespace, name)
		if err := keepFound(out.Secrets, name, secret, err); err != nil {
			return translate.EnvObjects{}, fmt.Errorf("container %s: reading Secret %s/%s for its env: %w", c.Name, pod.Namespace, name, err)
		}
	}
	return out, nil
}

// keepFound adds a read object to found; NotFound is no error here.
func keepFound[T any](found map[string]T, name string, object T, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	found[name] = object
	return nil
}

// isStatic says whether the pod came from the manifest directory.
func (k *Kubelet) isStatic(uid types.UID) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec, ok := k.pods[uid]
	return ok && rec.source == SourceFile
}
