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
// the same UID across restarts, and any edit to the pod gives a new one, so
// the agent replaces the pod. The UID and the source's own annotations are
// left out, so PodUID gives the same answer before and after they are set.
func PodUID(pod *v1.Pod, file, nodeName string) types.UID {
	hashed := pod.DeepCopy()
	hashed.UID = ""
	delete(hashed.Annotations, AnnotationConfigSource)
	delete(hashed.Annotations, AnnotationConfigHash)
	delete(hashed.Annotations, AnnotationManifestFile)
	if len(hashed.Annotations) == 0 {
		hashed.Annotations = nil
	}
	// Marshalling a Pod cannot fail: it holds no channels, funcs or NaNs.
	data, _ := json.Marshal(hashed)
	hasher := sha256.New()
	hasher.Write(data)
	// NUL separators keep ("ab", "c") and ("a", "bc") apart.
	fmt.Fprintf(hasher, "\x00file:%s\x00node:%s", file, nodeName)
	sum := hex.EncodeToString(hasher.Sum(nil))[:32]
	return types.UID(sum[0:8] + "-" + sum[8:12] + "-" + sum[12:16] + "-" + sum[16:20] + "-" + sum[20:32])
}
