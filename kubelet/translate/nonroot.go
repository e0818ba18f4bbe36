package translate

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// RunAsNonRoot says whether the container must not run as root
// (runAsNonRoot, the container's over the pod's) and which user the spec
// gives it (runAsUser, likewise); a nil user means the image's.
func RunAsNonRoot(pod *v1.Pod, c *v1.Container) (required bool, user *int64) {
	if p := pod.Spec.SecurityContext; p != nil {
		required = p.RunAsNonRoot != nil && *p.RunAsNonRoot
		user = p.RunAsUser
	}
	if s := c.SecurityContext; s != nil {
		if s.RunAsNonRoot != nil {
			required = *s.RunAsNonRoot
		}
		if s.RunAsUser != nil {
			user = s.RunAsUser
		}
	}
	return required, user
}

// VerifyNonRoot refuses a container that must not run as root but would:
// its user is 0 by the spec or, when the spec names none (user nil), by
// the image. An image user given only by name cannot be verified, so it is
// refused too, as the kubelet does.
func VerifyNonRoot(user *int64, image *runtimeapi.Image) error {
	if user != nil {
		if *user == 0 {
			return fmt.Errorf("container has runAsNonRoot and runAsUser 0 (root): set runAsUser to a non-zero user")
		}
		return nil
	}
	switch {
	case image.GetUid() != nil && image.GetUid().GetValue() != 0:
		return nil
	case image.GetUid() == nil && image.GetUsername() != "" && image.GetUsername() != "root":
		return fmt.Errorf("container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root: set securityContext.runAsUser", image.GetUsername())
	}
	return fmt.Errorf("container has runAsNonRoot and image will run as root: set securityContext.runAsUser to a non-zero user")
}
