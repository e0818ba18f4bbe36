package cri

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ListImages lists the images matching filter (nil lists all).
func (c *Client) ListImages(ctx context.Context, filter *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error) {
	resp, err := call(ctx, c, opListImages, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ListImagesResponse, error) {
		return c.images.ListImages(ctx, &runtimeapi.ListImagesRequest{Filter: filter})
	})
	return resp.GetImages(), err
}

// ImageStatus returns the image's status; resp.Image is nil when the image
// is not present.
func (c *Client) ImageStatus(ctx context.Context, image *runtimeapi.ImageSpec, verbose bool) (*runtimeapi.ImageStatusResponse, error) {
	return call(ctx, c, opImageStatus, image.GetImage(), c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ImageStatusResponse, error) {
		return c.images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: image, Verbose: verbose})
	})
}

// PullImage pulls the image, bounded by PullTimeout, and returns its
// reference (usually the digest).
func (c *Client) PullImage(ctx context.Context, image *runtimeapi.ImageSpec, auth *runtimeapi.AuthConfig, podSandboxConfig *runtimeapi.PodSandboxConfig) (string, error) {
	resp, err := call(ctx, c, opPullImage, image.GetImage(), c.cfg.PullTimeout, func(ctx context.Context) (*runtimeapi.PullImageResponse, error) {
		return c.images.PullImage(ctx, &runtimeapi.PullImageRequest{Image: image, Auth: auth, SandboxConfig: podSandboxConfig})
	})
	return resp.GetImageRef(), err
}

// RemoveImage removes the image; removing an absent image succeeds.
func (c *Client) RemoveImage(ctx context.Context, image *runtimeapi.ImageSpec) error {
	_, err := call(ctx, c, opRemoveImage, image.GetImage(), c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.RemoveImageResponse, error) {
		return c.images.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: image})
	})
	return err
}

// ImageFsInfo returns usage of the filesystems holding images and
// containers' writable layers.
func (c *Client) ImageFsInfo(ctx context.Context) (*runtimeapi.ImageFsInfoResponse, error) {
	return call(ctx, c, opImageFsInfo, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ImageFsInfoResponse, error) {
		return c.images.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
	})
}
