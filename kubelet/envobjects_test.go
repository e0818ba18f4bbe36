package kubelet

import (
	"context"
	"strings"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// envFakeObjects is the API server's ConfigMaps and Secrets of namespace
// default, as volume.Objects reads them; a test may add one at any time.
type envFakeObjects struct {
	mu         sync.Mutex
	configMaps map[string]*v1.ConfigMap
	secrets    map[string]*v1.Secret
}

func (o *envFakeObjects) ConfigMap(_ context.Context, _, name string) (*v1.ConfigMap, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if cm, ok := o.configMaps[name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (o *envFakeObjects) Secret(_ context.Context, _, name string) (*v1.Secret, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.secrets[name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func (o *envFakeObjects) ServiceAccountToken(context.Context, *v1.Pod, *v1.ServiceAccountTokenProjection) (string, error) {
	return "", nil
}

func (o *envFakeObjects) addConfigMap(name string, data map[string]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.configMaps[name] = &v1.ConfigMap{Data: data}
}

func (rt *fakeRuntime) envOf(name string) (map[string]string, bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	kvs, ok := rt.envs[name]
	env := map[string]string{}
	for _, kv := range kvs {
		env[kv.Key] = string(kv.Value)
	}
	return env, ok
}

// A container whose env names a ConfigMap that does not exist waits with
// CreateContainerConfigError saying what to create; once it exists, the
// retry starts the container with the values.
func TestEnvFromMissingConfigMapWaitsThenStarts(t *testing.T) {
	rt := newFakeRuntime()
	objects := &envFakeObjects{configMaps: map[string]*v1.ConfigMap{},
		secrets: map[string]*v1.Secret{"creds": {Data: map[string][]byte{"user": []byte("alice")}}}}
	k := startKubeletWith(t, rt, func(c *Config) { c.PodObjects = objects })
	pod := testPod(v1.RestartPolicyAlways, nil, "app")
	pod.Spec.Containers[0].EnvFrom = []v1.EnvFromSource{{Prefix: "CFG_", ConfigMapRef: &v1.ConfigMapEnvSource{
		LocalObjectReference: v1.LocalObjectReference{Name: "settings"}}}}
	pod.Spec.Containers[0].Env = []v1.EnvVar{{Name: "USER", ValueFrom: &v1.EnvVarSource{SecretKeyRef: &v1.SecretKeySelector{
		LocalObjectReference: v1.LocalObjectReference{Name: "creds"}, Key: "user"}}}}
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})

	var waiting *v1.ContainerStateWaiting
	eventually(t, "CreateContainerConfigError", func() bool {
		_, p := viewPhase(k, "web")
		if p == nil || len(p.Status.ContainerStatuses) == 0 {
			return false
		}
		waiting = p.Status.ContainerStatuses[0].State.Waiting
		return waiting != nil && waiting.Reason == ReasonCreateConfig
	})
	want := "container app envFrom[0]: configMapRef: ConfigMap default/settings not found; create it, or set configMapRef.optional: true"
	if waiting.Message != want {
		t.Errorf("waiting message %q\nwant %q", waiting.Message, want)
	}
	if _, created := rt.envOf("app"); created {
		t.Fatal("the container was created without its ConfigMap")
	}

	objects.addConfigMap("settings", map[string]string{"mode": "fast"})
	eventually(t, "the container created once the ConfigMap exists", func() bool { _, ok := rt.envOf("app"); return ok })
	env, _ := rt.envOf("app")
	if env["CFG_mode"] != "fast" || env["USER"] != "alice" {
		t.Errorf("container env %v, want CFG_mode=fast and USER=alice", env)
	}
}

// A standalone node has no API server: a container whose env names a
// Secret is refused, saying so, instead of starting without it.
func TestEnvObjectsOnStandaloneNodeAreRefused(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "app")
	pod.Spec.Containers[0].Env = []v1.EnvVar{{Name: "P", ValueFrom: &v1.EnvVarSource{SecretKeyRef: &v1.SecretKeySelector{
		LocalObjectReference: v1.LocalObjectReference{Name: "creds"}, Key: "p"}}}}
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "CreateContainerConfigError", func() bool {
		_, p := viewPhase(k, "web")
		if p == nil || len(p.Status.ContainerStatuses) == 0 {
			return false
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == ReasonCreateConfig && strings.Contains(w.Message, "only a node joined to a cluster can read")
	})
}
