package kubelet

import (
	"context"
	"errors"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// imageUsers is an image service whose images run as the given user;
// it counts the status reads.
type imageUsers struct {
	image     *runtimeapi.Image
	err       error
	statusGot int
}

func (f *imageUsers) ImageStatus(context.Context, *runtimeapi.ImageSpec, bool) (*runtimeapi.ImageStatusResponse, error) {
	f.statusGot++
	return &runtimeapi.ImageStatusResponse{Image: f.image}, f.err
}

func (f *imageUsers) PullImage(context.Context, *runtimeapi.ImageSpec, *runtimeapi.AuthConfig, *runtimeapi.PodSandboxConfig) (string, error) {
	return "", errors.New("not here")
}

// The non-root check asks the runtime for the image's user only when the
// spec names none, and refuses root either way.
func TestVerifyRunAsNonRoot(t *testing.T) {
	tests := []struct {
		name       string
		sc         *v1.SecurityContext
		images     imageUsers
		wantErr    string
		wantStatus int
	}{
		{name: "no rule: nothing to check", images: imageUsers{image: &runtimeapi.Image{Uid: &runtimeapi.Int64Value{}}}},
		{name: "the spec's user is enough", sc: &v1.SecurityContext{RunAsNonRoot: new(true), RunAsUser: new(int64(1000))}},
		{name: "the spec's root user is refused", sc: &v1.SecurityContext{RunAsNonRoot: new(true), RunAsUser: new(int64(0))},
			wantErr: "runAsUser 0 (root)"},
		{name: "the image's user is read when the spec names none", sc: &v1.SecurityContext{RunAsNonRoot: new(true)},
			images: imageUsers{image: &runtimeapi.Image{Uid: &runtimeapi.Int64Value{Value: 65532}}}, wantStatus: 1},
		{name: "an image running as root is refused", sc: &v1.SecurityContext{RunAsNonRoot: new(true)},
			images: imageUsers{image: &runtimeapi.Image{Uid: &runtimeapi.Int64Value{}}}, wantStatus: 1, wantErr: "image will run as root"},
		{name: "a failed read says which image", sc: &v1.SecurityContext{RunAsNonRoot: new(true)},
			images: imageUsers{err: errors.New("connection refused")}, wantStatus: 1, wantErr: "checking the user of image img: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &Kubelet{cfg: Config{Images: &tt.images}}
			pod := testPod(v1.RestartPolicyAlways, nil, "a")
			pod.Spec.Containers[0].SecurityContext = tt.sc
			err := k.verifyRunAsNonRoot(t.Context(), pod, &pod.Spec.Containers[0])
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			if tt.images.statusGot != tt.wantStatus {
				t.Errorf("image status read %d times, want %d", tt.images.statusGot, tt.wantStatus)
			}
		})
	}
}
