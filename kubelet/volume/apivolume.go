package volume

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The directories of API-backed volumes in a pod's directory, named as
// the kubelet names them.
const (
	configMapsDir   = "volumes/kubernetes.io~configmap"
	secretsDir      = "volumes/kubernetes.io~secret"
	downwardAPIsDir = "volumes/kubernetes.io~downward-api"
	projectedDir    = "volumes/kubernetes.io~projected"
)

// errNoAPIServer is SetUp's error for a volume that reads from the API
// server on a node that has none: static-pod validation refuses these.
var errNoAPIServer = errors.New("this volume reads from the API server, and this node has not joined a cluster (--kubeconfig)")

// setUpPayload writes payload into the volume directory dir (on a tmpfs
// when inMemory, so Secrets and tokens never reach the disk, as under the
// kubelet), owned by the pod's fsGroup if it has one.
func setUpPayload(dir string, inMemory bool, payload Payload, pod *v1.Pod, refreshOnly bool) error {
	if err := checkSize(payload); err != nil {
		return err
	}
	// A container start and the periodic refresh may write one volume at
	// once; the writes are small, so one lock serves every volume. The
	// teardown takes it too.
	writing.Lock()
	defer writing.Unlock()
	if refreshOnly {
		// Only a volume that is still set up: the pod's teardown may have
		// taken it down since the refresh looked, and must not find it
		// made again.
		if _, err := os.Lstat(filepath.Join(dir, dataLink)); err != nil {
			return nil
		}
		if mounted, err := isMountPoint(dir); inMemory && (err != nil || !mounted) {
			return nil
		}
		_, err := writeAtomically(dir, payload, fsGroup(pod))
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating volume directory %s: %w", dir, err)
	}
	if inMemory {
		// Room for two versions: the writer writes the new one beside the old.
		size := resource.NewQuantity(2*MaxVolumeBytes+1<<20, resource.BinarySI)
		if err := mountMemory(dir, size); err != nil {
			return err
		}
	}
	_, err := writeAtomically(dir, payload, fsGroup(pod))
	return err
}

var writing sync.Mutex

// The bounds of one API-backed volume. A ConfigMap or Secret holds at most
// 1 MiB, but items may map one key to many files: a pod must not make the
// agent fill the node's disk or memory.
const (
	MaxVolumeFiles = 4096
	MaxVolumeBytes = 16 << 20
)

const pageSize = 4096

func checkSize(payload Payload) error {
	if len(payload) > MaxVolumeFiles {
		return fmt.Errorf("it would hold %d files; at most %d are written", len(payload), MaxVolumeFiles)
	}
	// Counted as the tmpfs charges them, a page at least per file, so a
	// volume within the bound always leaves room for its next version.
	total := 0
	for _, f := range payload {
		total += (len(f.Data) + pageSize - 1) / pageSize * pageSize
	}
	if total > MaxVolumeBytes {
		return fmt.Errorf("it would hold %d MiB; at most %d MiB are written", total>>20, MaxVolumeBytes>>20)
	}
	return nil
}

func fsGroup(pod *v1.Pod) *int64 {
	if sc := pod.Spec.SecurityContext; sc != nil {
		return sc.FSGroup
	}
	return nil
}

// unmountAll takes down the tmpfs of every volume under the pod's kind
// directory, whatever the spec says now.
func unmountAll(podDir, kindDir string) error {
	writing.Lock()
	defer writing.Unlock()
	entries, err := os.ReadDir(filepath.Join(podDir, kindDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing %s: %w", kindDir, err)
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, unmountIfMounted(filepath.Join(podDir, kindDir, e.Name())))
	}
	return errors.Join(errs...)
}

// configMapPayload reads the ConfigMap and maps its keys to files. A
// missing ConfigMap is an empty volume when optional.
func configMapPayload(ctx context.Context, objects Objects, namespace string, src *v1.ConfigMapVolumeSource, mode int32) (Payload, error) {
	if objects == nil {
		return nil, errNoAPIServer
	}
	optional := src.Optional != nil && *src.Optional
	cm, err := objects.ConfigMap(ctx, namespace, src.Name)
	if apierrors.IsNotFound(err) && optional {
		return Payload{}, nil
	}
	if err != nil {
		return nil, err
	}
	return keyItems("configmap", src.Name, configMapData(cm), src.Items, mode, optional)
}

// secretPayload is configMapPayload for a Secret.
func secretPayload(ctx context.Context, objects Objects, namespace string, src *v1.SecretVolumeSource, mode int32) (Payload, error) {
	if objects == nil {
		return nil, errNoAPIServer
	}
	optional := src.Optional != nil && *src.Optional
	secret, err := objects.Secret(ctx, namespace, src.SecretName)
	if apierrors.IsNotFound(err) && optional {
		return Payload{}, nil
	}
	if err != nil {
		return nil, err
	}
	return keyItems("secret", src.SecretName, secret.Data, src.Items, mode, optional)
}

// configMap holds a ConfigMap's keys as files.
type configMap struct{}

func (configMap) Name() string                                  { return "configMap" }
func (configMap) Has(source *v1.VolumeSource) bool              { return source.ConfigMap != nil }
func (configMap) Check(*v1.VolumeSource, *field.Path) []Problem { return nil }
func (configMap) TearDown(string) error                         { return nil }

func (configMap) SetUp(ctx context.Context, pod *v1.Pod, vol *v1.Volume, host Host) (string, error) {
	dir := filepath.Join(host.PodDir, configMapsDir, vol.Name)
	payload, err := configMapPayload(ctx, host.Objects, pod.Namespace, vol.ConfigMap, modeOr(vol.ConfigMap.DefaultMode))
	if err != nil {
		return "", fmt.Errorf("configMap volume %q: %w", vol.Name, err)
	}
	if err := setUpPayload(dir, false, payload, pod, host.refreshOnly); err != nil {
		return "", fmt.Errorf("configMap volume %q: %w", vol.Name, err)
	}
	return dir, nil
}

// secret holds a Secret's keys as files, on a tmpfs.
type secret struct{}

func (secret) Name() string                                  { return "secret" }
func (secret) Has(source *v1.VolumeSource) bool              { return source.Secret != nil }
func (secret) Check(*v1.VolumeSource, *field.Path) []Problem { return nil }
func (secret) TearDown(podDir string) error                  { return unmountAll(podDir, secretsDir) }

func (secret) SetUp(ctx context.Context, pod *v1.Pod, vol *v1.Volume, host Host) (string, error) {
	dir := filepath.Join(host.PodDir, secretsDir, vol.Name)
	payload, err := secretPayload(ctx, host.Objects, pod.Namespace, vol.Secret, modeOr(vol.Secret.DefaultMode))
	if err != nil {
		return "", fmt.Errorf("secret volume %q: %w", vol.Name, err)
	}
	if err := setUpPayload(dir, true, payload, pod, host.refreshOnly); err != nil {
		return "", fmt.Errorf("secret volume %q: %w", vol.Name, err)
	}
	return dir, nil
}

// kindDirs is each API-backed type's directory in the pod's directory.
var kindDirs = map[string]string{"configMap": configMapsDir, "secret": secretsDir, "downwardAPI": downwardAPIsDir, "projected": projectedDir}

// Refresh rewrites an API-backed volume from its sources as they are now,
// if it is set up already: a pod's volumes are first made when its
// containers start, and a refresh must not make them for a pod that has
// not started. Files that are unchanged are not written.
func Refresh(ctx context.Context, pod *v1.Pod, vol *v1.Volume, host Host) error {
	t := For(&vol.VolumeSource)
	if t == nil || !AlwaysReadOnly(&vol.VolumeSource) {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(host.PodDir, kindDirs[t.Name()], vol.Name, dataLink)); err != nil {
		return nil
	}
	host.refreshOnly = true
	_, err := t.SetUp(ctx, pod, vol, host)
	return err
}
