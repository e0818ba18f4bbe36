package kubelet

import (
	"errors"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func registrySecret(name, config string) *v1.Secret {
	s := &v1.Secret{Type: v1.SecretTypeDockerConfigJson, Data: map[string][]byte{v1.DockerConfigJsonKey: []byte(config)}}
	s.Namespace, s.Name = "default", name
	return s
}

// The pod's pull secrets reach the runtime's PullImage as credentials:
// the most specific registry entry first, the next one when the registry
// refuses it; a pull secret that does not exist is reported and skipped.
func TestPullImageGetsThePodsPullSecrets(t *testing.T) {
	rt := newFakeRuntime()
	rt.pullAuthErr = func(auth *runtimeapi.AuthConfig) error {
		if auth.GetUsername() != "host-robot" {
			return errors.New("unauthorized")
		}
		return nil
	}
	objects := &envFakeObjects{configMaps: map[string]*v1.ConfigMap{}, secrets: map[string]*v1.Secret{
		"host": registrySecret("host", `{"auths": {"reg.example:5001": {"username": "host-robot", "password": "a"}}}`),
		// auth is base64("team-robot:b")
		"team":  registrySecret("team", `{"auths": {"reg.example:5001/team": {"auth": "dGVhbS1yb2JvdDpi"}}}`),
		"other": registrySecret("other", `{"auths": {"reg.example:5000": {"username": "wrong-port", "password": "c"}}}`),
	}}
	k := startKubeletWith(t, rt, func(c *Config) { c.PodObjects = objects })
	pod := testPod(v1.RestartPolicyAlways, nil, "app")
	pod.Spec.Containers[0].Image = "reg.example:5001/team/app:1"
	pod.Spec.ImagePullSecrets = []v1.LocalObjectReference{{Name: "host"}, {Name: "gone"}, {Name: "other"}, {Name: "team"}}
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "the container created", func() bool { _, ok := rt.envOf("app"); return ok })

	rt.mu.Lock()
	var got []string
	for _, a := range rt.pullAuths {
		got = append(got, a.GetUsername()+":"+a.GetPassword())
	}
	rt.mu.Unlock()
	if want := []string{"team-robot:b", "host-robot:a"}; !slices.Equal(got, want) {
		t.Errorf("PullImage credentials %q, want %q", got, want)
	}
	view, _ := k.GetPod("default", "web")
	if !slices.ContainsFunc(view.Events, func(e Event) bool {
		return e.Reason == EventPullSecretMissing && strings.Contains(e.Message, "(gone)")
	}) {
		t.Errorf("no %s event naming the missing secret in %v", EventPullSecretMissing, view.Events)
	}
}

// Without pull secrets, or when none matches the image's registry, the
// pull is anonymous.
func TestPullImageWithoutMatchingSecretIsAnonymous(t *testing.T) {
	rt := newFakeRuntime()
	objects := &envFakeObjects{configMaps: map[string]*v1.ConfigMap{}, secrets: map[string]*v1.Secret{
		"other": registrySecret("other", `{"auths": {"elsewhere.example": {"username": "u", "password": "p"}}}`),
	}}
	k := startKubeletWith(t, rt, func(c *Config) { c.PodObjects = objects })
	pod := testPod(v1.RestartPolicyAlways, nil, "app")
	pod.Spec.ImagePullSecrets = []v1.LocalObjectReference{{Name: "other"}}
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "the container created", func() bool { _, ok := rt.envOf("app"); return ok })
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.pullAuths) != 1 || rt.pullAuths[0] != nil {
		t.Errorf("PullImage credentials %v, want one anonymous pull", rt.pullAuths)
	}
}

// A pull secret whose content is broken fails the pull, naming it.
func TestPullImageWithBrokenSecretFails(t *testing.T) {
	rt := newFakeRuntime()
	objects := &envFakeObjects{configMaps: map[string]*v1.ConfigMap{}, secrets: map[string]*v1.Secret{
		"broken": registrySecret("broken", `{"auths": `),
	}}
	k := startKubeletWith(t, rt, func(c *Config) { c.PodObjects = objects })
	pod := testPod(v1.RestartPolicyAlways, nil, "app")
	pod.Spec.ImagePullSecrets = []v1.LocalObjectReference{{Name: "broken"}}
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "ErrImagePull naming the secret", func() bool {
		_, p := viewPhase(k, "web")
		if p == nil || len(p.Status.ContainerStatuses) == 0 {
			return false
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == ReasonErrImagePull && strings.Contains(w.Message, "spec.imagePullSecrets: image pull secret default/broken")
	})
}
