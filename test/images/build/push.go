package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// pushResult says what publishing one tag did.
type pushResult string

const (
	resultUpToDate pushResult = "up to date"
	resultPushed   pushResult = "pushed"
)

// publish makes every tag of spec in registry point at img, writing only the
// tags whose current digest differs, and returns the outcome per tag.
func publish(ctx context.Context, log *slog.Logger, registry string, spec imageSpec, img v1.Image) (map[string]pushResult, error) {
	want, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("digest of %s: %w", spec.repository, err)
	}
	results := map[string]pushResult{}
	for _, tagName := range spec.tags {
		// Registries on loopback are plain HTTP; name.Insecure keeps that
		// true for any other host name a developer points REGISTRY at.
		tag, err := name.NewTag(registry+"/"+spec.repository+":"+tagName, name.Insecure)
		if err != nil {
			return nil, fmt.Errorf("image reference for %s:%s in registry %q: %w", spec.repository, tagName, registry, err)
		}
		current, err := remoteDigest(ctx, tag)
		if err != nil {
			return nil, err
		}
		if current == want {
			results[tagName] = resultUpToDate
			log.Info("image up to date", "ref", tag.String(), "digest", want.String())
			continue
		}
		if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
			return nil, fmt.Errorf("push %s: %w", tag, err)
		}
		results[tagName] = resultPushed
		if current == (v1.Hash{}) {
			log.Info("image pushed", "ref", tag.String(), "digest", want.String())
		} else {
			log.Info("image pushed", "ref", tag.String(), "digest", want.String(), "replaced", current.String())
		}
	}
	return results, nil
}

// remoteDigest returns the digest tag points at, or the zero hash if the
// registry does not have the tag yet.
func remoteDigest(ctx context.Context, tag name.Tag) (v1.Hash, error) {
	desc, err := remote.Head(tag, remote.WithContext(ctx))
	var transportErr *transport.Error
	if errors.As(err, &transportErr) && transportErr.StatusCode == http.StatusNotFound {
		return v1.Hash{}, nil
	}
	if err != nil {
		return v1.Hash{}, fmt.Errorf("look up %s in the registry (is it running? make testbed-up starts it): %w", tag, err)
	}
	return desc.Digest, nil
}
