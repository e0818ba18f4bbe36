package kubelet

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/volume"
)

// volumeRefreshPeriod is how often the ConfigMap, Secret, downward API
// and token volumes of running pods are rewritten from their sources. The
// kubelet does it at each pod's periodic sync (a minute, jittered); with
// the object cache's TTL an update reaches the files within ~30 s.
const volumeRefreshPeriod = 20 * time.Second

// runVolumeRefresh keeps running pods' API-backed volumes current until
// ctx ends. Only a node that joined a cluster has such volumes.
func (k *Kubelet) runVolumeRefresh(ctx context.Context) {
	if k.cfg.PodObjects == nil {
		return
	}
	ticker := time.NewTicker(volumeRefreshPeriod)
	defer ticker.Stop()
	lastErrors := map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		seen := map[string]string{}
		for _, pod := range k.podsWithRefreshableVolumes() {
			k.refreshPodVolumes(ctx, pod, lastErrors, seen)
		}
		lastErrors = seen
	}
}

// podsWithRefreshableVolumes are the desired pods that have a volume to
// refresh. A finished pod has none: it runs nothing that would read them,
// and the kubelet stops syncing a terminated pod's volumes (no token is
// requested for it any more).
func (k *Kubelet) podsWithRefreshableVolumes() []*v1.Pod {
	k.mu.Lock()
	defer k.mu.Unlock()
	var pods []*v1.Pod
	for _, rec := range k.pods {
		finished := rec.finished != "" || isFinished(rec.status.Phase)
		if pod := rec.desired; pod != nil && pod.DeletionTimestamp == nil && !finished && hasRefreshableVolume(pod) {
			pods = append(pods, pod)
		}
	}
	return pods
}

func hasRefreshableVolume(pod *v1.Pod) bool {
	for i := range pod.Spec.Volumes {
		if volume.AlwaysReadOnly(&pod.Spec.Volumes[i].VolumeSource) {
			return true
		}
	}
	return false
}

// refreshPodVolumes refreshes each of the pod's API-backed volumes. A
// failure (a ConfigMap deleted, the API server away) leaves the files as
// they were, as under the kubelet; it is logged when it first happens or
// changes, not every period.
func (k *Kubelet) refreshPodVolumes(ctx context.Context, pod *v1.Pod, lastErrors, seen map[string]string) {
	host := volume.Host{PodDir: k.podDir(pod.UID), Objects: k.cfg.PodObjects, Allocatable: k.cfg.Allocatable}
	for i := range pod.Spec.Volumes {
		vol := &pod.Spec.Volumes[i]
		err := volume.Refresh(ctx, pod, vol, host)
		if err == nil || ctx.Err() != nil {
			continue
		}
		key := string(pod.UID) + "/" + vol.Name
		seen[key] = err.Error()
		if lastErrors[key] != err.Error() {
			k.log.Warn("refreshing a volume failed; its files stay as they were", "pod", podRef(pod, pod.UID), "volume", vol.Name, "err", err)
		}
	}
}

// podObjectsForgetter is the part of the object cache that drops a
// removed pod's tokens.
type podObjectsForgetter interface{ ForgetPod(types.UID) }

// forgetPodObjects drops what the object cache keeps for a removed pod.
func (k *Kubelet) forgetPodObjects(uid types.UID) {
	if f, ok := k.cfg.PodObjects.(podObjectsForgetter); ok {
		f.ForgetPod(uid)
	}
}
