//go:build tools

// This file pins the project's chosen dependencies in go.mod while the
// packages that use them are being written in parallel; remove it once every
// module below is imported by real code.
package tools

import (
	_ "github.com/containernetworking/cni/libcni"
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/sync/errgroup"
	_ "google.golang.org/grpc"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/apimachinery/pkg/util/validation"
	_ "k8s.io/cri-api/pkg/apis"
	_ "sigs.k8s.io/yaml"
)
