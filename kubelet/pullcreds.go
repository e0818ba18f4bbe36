package kubelet

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/pullsecrets"
)

// pullCredentials reads the pod's imagePullSecrets and returns the
// credentials for image, to try in order (package pullsecrets); none means
// an anonymous pull. A secret that cannot be read is left out with a
// warning event and the pull goes on, as the kubelet's does; a secret that
// cannot be parsed fails the pull.
func (k *Kubelet) pullCredentials(ctx context.Context, pod *v1.Pod, image string) ([]*runtimeapi.AuthConfig, error) {
	if len(pod.Spec.ImagePullSecrets) == 0 || k.cfg.PodObjects == nil {
		return nil, nil
	}
	var secrets []*v1.Secret
	var missing []string
	for _, ref := range pod.Spec.ImagePullSecrets {
		if ref.Name == "" {
			continue // the API server lets empty names through
		}
		secret, err := k.cfg.PodObjects.Secret(ctx, pod.Namespace, ref.Name)
		if err != nil {
			k.log.Info("cannot read an image pull secret; pulling without it", "pod", podRef(pod, pod.UID), "secret", ref.Name, "err", err)
			missing = append(missing, ref.Name)
			continue
		}
		secrets = append(secrets, secret)
	}
	if len(missing) > 0 {
		k.addEvent(pod.UID, Event{Type: v1.EventTypeWarning, Reason: EventPullSecretMissing,
			Message: fmt.Sprintf("Unable to retrieve some image pull secrets (%s); attempting to pull the image may not succeed.", strings.Join(missing, ", "))})
	}
	keyring, err := pullsecrets.New(secrets)
	if err != nil {
		return nil, fmt.Errorf("spec.imagePullSecrets: %w; fix the secret's content", err)
	}
	return keyring.Lookup(image), nil
}

// pullWith pulls anonymously when there are no credentials; otherwise it
// tries each in turn until one works. It returns the pulled image's ref.
// As in the kubelet, a registry that refuses every matching credential is
// not asked anonymously.
func (k *Kubelet) pullWith(ctx context.Context, spec *runtimeapi.ImageSpec, sandboxConfig *runtimeapi.PodSandboxConfig, creds []*runtimeapi.AuthConfig) (string, error) {
	if len(creds) == 0 {
		return k.cfg.Images.PullImage(ctx, spec, nil, sandboxConfig)
	}
	var failures []string
	for i, auth := range creds {
		ref, err := k.cfg.Images.PullImage(ctx, spec, auth, sandboxConfig)
		if err == nil {
			return ref, nil
		}
		if len(creds) == 1 {
			return "", err
		}
		failures = append(failures, fmt.Sprintf("with credential %d of %d (user %q): %v", i+1, len(creds), auth.GetUsername(), err))
	}
	return "", errors.New(strings.Join(failures, "; "))
}

// pullGroup keys the pulls one pull serves: the image, and the pod's
// namespace and pull secrets when it has any, so a pod's pull is not
// served by one made with credentials it was not given. (An image already
// present serves any pod, as on a kubelet without the
// KubeletEnsureSecretPulledImages gate.)
func pullGroup(pod *v1.Pod, image string) string {
	if len(pod.Spec.ImagePullSecrets) == 0 {
		return image
	}
	names := make([]string, 0, len(pod.Spec.ImagePullSecrets))
	for _, ref := range pod.Spec.ImagePullSecrets {
		names = append(names, ref.Name)
	}
	return image + "\x00" + pod.Namespace + "/" + strings.Join(names, ",")
}
