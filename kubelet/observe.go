package kubelet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// observe reads one pod's state from the runtime: its sandboxes (with the
// current one's IPs) and the full status of each of its containers.
func (k *Kubelet) observe(ctx context.Context, uid types.UID) (*observedPod, error) {
	began := time.Now()
	selector := translate.PodSelector(k.cfg.NodeName, uid)
	sandboxes, err := k.cfg.Runtime.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("listing sandboxes of pod %s: %w", uid, err)
	}
	containers, err := k.cfg.Runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("listing containers of pod %s: %w", uid, err)
	}
	obs := &observedPod{}
	for _, s := range sandboxes {
		obs.Sandboxes = append(obs.Sandboxes, observedSandbox{
			ID:        s.GetId(),
			Attempt:   s.GetMetadata().GetAttempt(),
			Ready:     s.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY,
			CreatedAt: unixNanoTime(s.GetCreatedAt()),
		})
	}
	for _, c := range containers {
		resp, err := k.cfg.Runtime.ContainerStatus(ctx, c.GetId(), false)
		switch {
		case isNotFound(err):
			continue // removed between list and status
		case err != nil:
			return nil, fmt.Errorf("reading status of container %s of pod %s: %w", c.GetId(), uid, err)
		}
		obs.Containers = append(obs.Containers, observedFromContainerStatus(resp.GetStatus(), c.GetPodSandboxId()))
	}
	obs.sortNewestFirst()
	if sb := obs.currentSandbox(); sb != nil && sb.Ready {
		if err := k.readSandboxIPs(ctx, sb); err != nil {
			return nil, err
		}
	}
	k.noteObserved(uid, began, listedObjects(sandboxes, containers))
	return obs, nil
}

// listedObjects is what the lists of an observation showed, in the form
// the relister compares.
func listedObjects(sandboxes []*runtimeapi.PodSandbox, containers []*runtimeapi.Container) podObjects {
	objects := make(podObjects, len(sandboxes)+len(containers))
	for _, s := range sandboxes {
		objects[s.GetId()] = s.GetState().String()
	}
	for _, c := range containers {
		objects[c.GetId()] = c.GetState().String()
	}
	return objects
}

// noteObserved records when the newest complete observation of pod uid
// began and what its lists showed.
func (k *Kubelet) noteObserved(uid types.UID, began time.Time, objects podObjects) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec, ok := k.pods[uid]; ok && began.After(rec.observedAt) {
		rec.observedAt, rec.observedObjects = began, objects
	}
}

func (k *Kubelet) readSandboxIPs(ctx context.Context, sb *observedSandbox) error {
	resp, err := k.cfg.Runtime.PodSandboxStatus(ctx, sb.ID, false)
	if isNotFound(err) {
		sb.Ready = false
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading status of sandbox %s: %w", sb.ID, err)
	}
	sb.IPs = sandboxIPs(resp.GetStatus())
	return nil
}

func sandboxIPs(s *runtimeapi.PodSandboxStatus) []string {
	var ips []string
	if ip := s.GetNetwork().GetIp(); ip != "" {
		ips = append(ips, ip)
	}
	for _, extra := range s.GetNetwork().GetAdditionalIps() {
		if extra.GetIp() != "" {
			ips = append(ips, extra.GetIp())
		}
	}
	return ips
}

// isNotFound reports a CRI NotFound, which stop and remove treat as done.
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus().Code() == codes.NotFound
	}
	return status.Code(err) == codes.NotFound
}
