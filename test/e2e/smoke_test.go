//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// kubelet's label keys: crictl's POD and NAMESPACE columns come from them.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

const smokeNamespace = "e2e"

// TestSmoke runs one kubia pod through minikubelet's CRI client against the
// real runtime, the way the agent will: pull, sandbox, container, HTTP, then
// tear down and check that nothing is left.
func TestSmoke(t *testing.T) {
	env := framework.LoadEnv(t)
	ctx := framework.Context(t, 3*time.Minute)
	runtime := framework.DialRuntime(t, env)
	t.Logf("runtime %s %s at %s", runtime.RuntimeName(), runtime.RuntimeVersion(), runtime.Endpoint())

	pulled := time.Now()
	imageRef, err := runtime.PullImage(ctx, &runtimeapi.ImageSpec{Image: env.KubiaImage}, nil, nil)
	if err != nil {
		t.Fatalf("pulling %s from the test bed registry: %v", env.KubiaImage, err)
	}
	t.Logf("pulled %s as %s in %s", env.KubiaImage, imageRef, time.Since(pulled).Round(time.Millisecond))

	pod := newSmokePod(t)
	started := time.Now()
	sandboxID := runSandbox(ctx, t, runtime, pod)
	containerID := runKubia(ctx, t, runtime, pod, sandboxID, imageRef, env.KubiaImage)
	t.Logf("sandbox + container running in %s", time.Since(started).Round(time.Millisecond))

	podIP := sandboxIP(ctx, t, runtime, sandboxID, env.PodCIDR)
	body, err := framework.HTTPGet(ctx, fmt.Sprintf("http://%s/", netip.AddrPortFrom(podIP, 8080)))
	if err != nil {
		t.Fatalf("kubia in pod %s never answered: %v", pod.name, err)
	}
	if got, want := strings.TrimSpace(body), "You've hit "+pod.name; got != want {
		t.Errorf("kubia answered %q, want %q (the pod's hostname)", got, want)
	}
	t.Logf("HTTP answered %s after start", time.Since(started).Round(time.Millisecond))

	checkContainerLog(t, filepath.Join(pod.logDir, "kubia", "0.log"))
	checkCrictlShowsPod(t, pod, sandboxID, containerID)

	ipReservation := hostLocalReservation(t, env, podIP)
	tearDown(ctx, t, runtime, sandboxID, containerID)
	checkNothingLeft(t, pod, sandboxID, containerID, ipReservation)
}

// smokePod is the identity and log directory of the test's pod.
type smokePod struct {
	name, uid, logDir string
}

func newSmokePod(t *testing.T) smokePod {
	return smokePod{
		name:   framework.UniqueName("smoke"),
		uid:    framework.RandomHex(16),
		logDir: t.TempDir(),
	}
}

func (p smokePod) labels() map[string]string {
	return map[string]string{
		labelPodName:      p.name,
		labelPodNamespace: smokeNamespace,
		labelPodUID:       p.uid,
	}
}

func (p smokePod) sandboxConfig() *runtimeapi.PodSandboxConfig {
	return &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{
			Name:      p.name,
			Namespace: smokeNamespace,
			Uid:       p.uid,
		},
		Hostname:     p.name,
		LogDirectory: p.logDir,
		Labels:       p.labels(),
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
				NamespaceOptions: &runtimeapi.NamespaceOption{
					Network: runtimeapi.NamespaceMode_POD,
					Pid:     runtimeapi.NamespaceMode_CONTAINER,
					Ipc:     runtimeapi.NamespaceMode_POD,
				},
			},
		},
	}
}

func runSandbox(ctx context.Context, t *testing.T, runtime *cri.Client, pod smokePod) string {
	t.Helper()
	sandboxID, err := runtime.RunPodSandbox(ctx, pod.sandboxConfig(), "")
	if err != nil {
		t.Fatalf("running sandbox for %s: %v", pod.name, err)
	}
	framework.Cleanup(t, "remove sandbox "+sandboxID, func(ctx context.Context) error {
		if err := runtime.StopPodSandbox(ctx, sandboxID); err != nil && !cri.IsNotFound(err) {
			return err
		}
		if err := runtime.RemovePodSandbox(ctx, sandboxID); err != nil && !cri.IsNotFound(err) {
			return err
		}
		return nil
	})
	return sandboxID
}

func runKubia(ctx context.Context, t *testing.T, runtime *cri.Client, pod smokePod, sandboxID, imageRef, userImage string) string {
	t.Helper()
	// CRI-O does not create a container's log directory; kubelet does.
	if err := os.MkdirAll(filepath.Join(pod.logDir, "kubia"), 0o755); err != nil {
		t.Fatal(err)
	}
	labels := pod.labels()
	labels[labelContainerName] = "kubia"
	config := &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "kubia"},
		Image:    &runtimeapi.ImageSpec{Image: imageRef, UserSpecifiedImage: userImage},
		LogPath:  filepath.Join("kubia", "0.log"),
		Labels:   labels,
		Linux: &runtimeapi.LinuxContainerConfig{
			SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
				NamespaceOptions: pod.sandboxConfig().GetLinux().GetSecurityContext().GetNamespaceOptions(),
			},
		},
	}
	containerID, err := runtime.CreateContainer(ctx, sandboxID, config, pod.sandboxConfig())
	if err != nil {
		t.Fatalf("creating kubia in %s: %v", pod.name, err)
	}
	framework.Cleanup(t, "remove container "+containerID, func(ctx context.Context) error {
		if err := runtime.RemoveContainer(ctx, containerID); err != nil && !cri.IsNotFound(err) {
			return err
		}
		return nil
	})
	if err := runtime.StartContainer(ctx, containerID); err != nil {
		t.Fatalf("starting kubia in %s: %v", pod.name, err)
	}
	return containerID
}

// sandboxIP returns the pod IP the runtime reports, which must come from
// the test bed's pod CIDR.
func sandboxIP(ctx context.Context, t *testing.T, runtime *cri.Client, sandboxID, podCIDR string) netip.Addr {
	t.Helper()
	status, err := runtime.PodSandboxStatus(ctx, sandboxID, false)
	if err != nil {
		t.Fatal(err)
	}
	if state := status.GetStatus().GetState(); state != runtimeapi.PodSandboxState_SANDBOX_READY {
		t.Fatalf("sandbox state %s, want SANDBOX_READY", state)
	}
	ip, err := netip.ParseAddr(status.GetStatus().GetNetwork().GetIp())
	if err != nil {
		t.Fatalf("sandbox %s has no usable pod IP: %v", sandboxID, err)
	}
	cidr, err := netip.ParsePrefix(podCIDR)
	if err != nil {
		t.Fatalf("test bed POD_CIDR %q: %v", podCIDR, err)
	}
	if !cidr.Contains(ip) {
		t.Errorf("pod IP %s is outside the pod CIDR %s", ip, cidr)
	}
	return ip
}

// checkContainerLog waits for the runtime to write kubia's output, in CRI
// log format, to the path we asked for.
func checkContainerLog(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		content, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(content), " stdout ") {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("container log %s has no stdout line after 10s (err %v, content %q)", path, err, content)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkCrictlShowsPod checks that crictl lists the sandbox and container
// under the pod's name and namespace, not "unknown".
func checkCrictlShowsPod(t *testing.T, pod smokePod, sandboxID, containerID string) {
	t.Helper()
	// crictl pods columns: POD ID, CREATED (several words), STATE, NAME,
	// NAMESPACE, ATTEMPT, RUNTIME — so read from the end.
	pods := framework.Crictl(t, "pods", "--name", pod.name)
	row := framework.TableRow(pods, sandboxID)
	if len(row) < 7 {
		t.Fatalf("crictl pods --name %s does not list sandbox %s:\n%s", pod.name, sandboxID, pods)
	}
	if state, name, ns := row[len(row)-5], row[len(row)-4], row[len(row)-3]; state != "Ready" || name != pod.name || ns != smokeNamespace {
		t.Errorf("crictl pods shows state=%s name=%s namespace=%s, want Ready %s %s:\n%s", state, name, ns, pod.name, smokeNamespace, pods)
	}

	// crictl ps columns end with POD ID, POD, NAMESPACE.
	containers := framework.Crictl(t, "ps", "--pod", sandboxID)
	row = framework.TableRow(containers, containerID)
	if len(row) < 8 {
		t.Fatalf("crictl ps --pod %s does not list container %s:\n%s", sandboxID, containerID, containers)
	}
	podColumn, nsColumn := row[len(row)-2], row[len(row)-1]
	if podColumn != pod.name || nsColumn != smokeNamespace || !slices.Contains(row, "Running") || !slices.Contains(row, "kubia") {
		t.Errorf("crictl ps shows %q, want kubia Running in POD %s NAMESPACE %s:\n%s", row, pod.name, smokeNamespace, containers)
	}
}

func tearDown(ctx context.Context, t *testing.T, runtime *cri.Client, sandboxID, containerID string) {
	t.Helper()
	stopped := time.Now()
	if err := runtime.StopContainer(ctx, containerID, 10); err != nil {
		t.Fatalf("stopping kubia: %v", err)
	}
	status, err := runtime.ContainerStatus(ctx, containerID, false)
	if err != nil {
		t.Fatal(err)
	}
	if state := status.GetStatus().GetState(); state != runtimeapi.ContainerState_CONTAINER_EXITED {
		t.Errorf("after StopContainer the container is %s, want CONTAINER_EXITED", state)
	}
	t.Logf("kubia stopped in %s", time.Since(stopped).Round(time.Millisecond))
	steps := []struct {
		what string
		do   func(context.Context, string) error
		id   string
	}{
		{"removing kubia", runtime.RemoveContainer, containerID},
		{"stopping the sandbox", runtime.StopPodSandbox, sandboxID},
		{"removing the sandbox", runtime.RemovePodSandbox, sandboxID},
	}
	for _, step := range steps {
		if err := step.do(ctx, step.id); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
	}
	if _, err := runtime.PodSandboxStatus(ctx, sandboxID, false); !cri.IsNotFound(err) {
		t.Errorf("PodSandboxStatus after removal = %v, want NotFound", err)
	}
}

// checkNothingLeft checks the runtime, the mount table and host-local IPAM
// no longer know the pod.
func checkNothingLeft(t *testing.T, pod smokePod, sandboxID, containerID, ipReservation string) {
	t.Helper()
	if pods := framework.Crictl(t, "pods", "--name", pod.name); framework.TableRow(pods, sandboxID) != nil {
		t.Errorf("crictl pods still lists removed sandbox %s:\n%s", sandboxID, pods)
	}
	if containers := framework.Crictl(t, "ps", "-a"); framework.TableRow(containers, containerID) != nil {
		t.Errorf("crictl ps -a still lists removed container %s:\n%s", containerID, containers)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, sandboxID) || strings.Contains(line, containerID) {
			t.Errorf("mount left behind by the removed pod: %s", line)
		}
	}
	if ipReservation == "" {
		return
	}
	if _, err := os.Stat(ipReservation); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("host-local still reserves the pod IP after StopPodSandbox: %s (stat: %v)", ipReservation, err)
	}
}

// hostLocalReservation returns the file host-local IPAM keeps for ip while
// it is allocated, or "" (with a log line) when it is not where the test
// bed's conflist would put it, e.g. because the network config changed.
func hostLocalReservation(t *testing.T, env *framework.Env, ip netip.Addr) string {
	dataDir := "/var/lib/cni/networks"
	if env.CNIDataDir != "" {
		dataDir = env.CNIDataDir // the runtime's own, for containerd 2.4 and CRI-O
	}
	path := filepath.Join(dataDir, env.CNINetwork, ip.String())
	if _, err := os.Stat(path); env.CNINetwork == "" || err != nil {
		t.Logf("not checking the IP reservation: no host-local file for %s in network %q", ip, env.CNINetwork)
		return ""
	}
	return path
}
