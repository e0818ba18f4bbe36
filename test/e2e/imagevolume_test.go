//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// imageVolumePod runs kubia with the test bed's pause image as an image
// volume (pulled Always, from the test bed's registry): whole at /image,
// and its etc directory alone at /image-etc (a subPath).
func imageVolumePod(env *framework.Env, name string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: pause-files, image: {reference: %s, pullPolicy: Always}}
  containers:
  - name: app
    image: %s
    command: ["/kubia", "sleep", "infinity"]
    volumeMounts:
    - {name: pause-files, mountPath: /image}
    - {name: pause-files, mountPath: /image-etc, subPath: etc}
`, name, env.PauseImage, env.KubiaImage)
}

// An image volume holds the files of another image, read-only, on a
// runtime that mounts image volumes (containerd 2.1+, CRI-O 1.31+). On
// containerd 1.6, which does not know the CRI mount's image field, the
// container must not run at all (it would run without the files): it
// waits with a reason naming the volume, the runtime and the fix.
func TestImageVolumeMountsAnotherImageReadOnly(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("imagevol")
	agent.WriteManifest(name+".yaml", imageVolumePod(agent.Env, name))
	defer func() {
		agent.RemoveManifest(name + ".yaml")
		waitPodGone(t, agent, name)
	}()

	if agent.Env.Runtime == "containerd" { // the test bed's containerd 1.6
		p := agent.WaitPod(name, 90*time.Second, "app refused or running", func(p *v1.Pod) bool {
			cs := p.Status.ContainerStatuses
			return len(cs) == 1 && (cs[0].State.Running != nil ||
				cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "CreateContainerConfigError")
		})
		cs := p.Status.ContainerStatuses[0]
		if cs.State.Running != nil {
			t.Fatalf("the container runs on containerd 1.6 without its image volume")
		}
		msg := cs.State.Waiting.Message
		for _, want := range []string{`image volume "pause-files"`, "this node's runtime, containerd 1.6", "upgrade the runtime"} {
			if !strings.Contains(msg, want) {
				t.Errorf("refusal %q does not say %q", msg, want)
			}
		}
		if ids := strings.Fields(framework.Crictl(t, "ps", "-a", "-q", "--label", "io.kubernetes.pod.name="+name)); len(ids) > 0 {
			t.Errorf("containers %v were created for the refused pod", ids)
		}
		return
	}

	agent.WaitPod(name, 90*time.Second, "Running", framework.Running)
	id := containerID(t, name, "app")
	if _, stderr, err := agent.Env.RunCrictl("exec", id, "/kubia", "test", "-f", "/image/pause"); err != nil {
		t.Errorf("/image/pause, the pause image's binary, is not a file in the container: %v %s", err, stderr)
	}
	if got := framework.Crictl(t, "exec", id, "/kubia", "cat", "/image-etc/passwd"); !strings.HasPrefix(got, "root:x:0:0:") {
		t.Errorf("/image-etc/passwd (subPath etc of the image) = %q, want the pause image's etc/passwd", got)
	}
	if stdout, stderr, err := agent.Env.RunCrictl("exec", id, "/kubia", "write", "/image/planted", "x"); err == nil ||
		!strings.Contains(stdout+stderr, "read-only file system") {
		t.Errorf("writing into the image volume: err %v, output %q; want it refused as a read-only file system", err, stdout+stderr)
	}
	if stdout, _, err := agent.Env.RunCrictl("exec", id, "/kubia", "test", "-e", "/image-etc/pause"); err == nil {
		t.Errorf("/image-etc shows the image's root (%q): the subPath was not applied", stdout)
	}
}
