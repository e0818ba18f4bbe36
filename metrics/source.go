package metrics

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// StatsSource is the part of a CRI runtime client that the resource and
// cAdvisor endpoints read. The signatures are those of
// k8s.io/cri-api/pkg/apis.RuntimeService, so any CRI client fits.
type StatsSource interface {
	ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error)
	ListPodSandbox(ctx context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error)
	ListContainerStats(ctx context.Context, filter *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error)
	ListPodSandboxStats(ctx context.Context, filter *runtimeapi.PodSandboxStatsFilter) ([]*runtimeapi.PodSandboxStats, error)
}

// ImageLister turns the image IDs that runtimes report for containers into
// the names users wrote (the cAdvisor image label). Its signature is that
// of k8s.io/cri-api/pkg/apis.ImageManagerService.
type ImageLister interface {
	ListImages(ctx context.Context, filter *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error)
}

// The kubelet's label keys on CRI objects, which minikubelet sets too and
// crictl reads.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelContainerName = "io.kubernetes.container.name"
)
