package staticpods

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// PodUID derives a pod's UID from its defaulted content, its manifest path
// and the node name, as kubelet does for static pods: the same file gives
// the same UID across restarts, and an edit of what runs gives a new one,
// so the agent replaces the pod.
//
// Labels and annotations are left out, and with them the source's own
// annotations and the UID itself: nothing that runs reads them (the
// downward API fields a static pod may use are its name, namespace and
// UID), so `kubectl label` or `annotate` keeps the pod, as they keep any
// pod under the kubelet, and the sync loop updates it in place. Pods with
// neither hash as they did before this rule; a pod with labels or
// annotations gets a new UID, once, from the first agent that applies it.
func PodUID(pod *v1.Pod, file, nodeName string) types.UID {
	hashed := pod.DeepCopy()
	hashed.UID = ""
	hashed.Labels = nil
	hashed.Annotations = nil
	// Marshalling a Pod cannot fail: it holds no channels, funcs or NaNs.
	data, _ := json.Marshal(hashed)
	hasher := sha256.New()
	hasher.Write(data)
	// NUL separators keep ("ab", "c") and ("a", "bc") apart.
	fmt.Fprintf(hasher, "\x00file:%s\x00node:%s", file, nodeName)
	sum := hex.EncodeToString(hasher.Sum(nil))[:32]
	return types.UID(sum[0:8] + "-" + sum[8:12] + "-" + sum[12:16] + "-" + sum[16:20] + "-" + sum[20:32])
}
