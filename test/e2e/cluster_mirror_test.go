//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterMirrorPodsFollowTheManifests joins the test bed's control
// plane with a static pod in the manifest directory and checks, with the
// real kubectl as the cluster's administrator, its mirror pod: listed by
// `kubectl get pods -A` as <name>-<node>, Running with the pod's IP, owned
// by the Node; left alone while nothing changes and across an agent
// restart; back (a new UID) after `kubectl delete pod` without the
// container restarting; replaced when the manifest changes; gone with the
// manifest. Skipped without test/testbed/env.cluster.
func TestClusterMirrorPodsFollowTheManifests(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	mirrorName := "web-" + agent.NodeName
	objects.pod(mirrorName)
	manifest := apiKubiaManifest("web", agent.Env.KubiaImage)
	agent.WriteManifest("web.yaml", manifest)
	agent.Start()
	local := agent.WaitPod("web", 90*time.Second, "running", framework.Running)

	// Listed as the kubelet lists static pods, Running with the pod's IP.
	started := time.Now()
	framework.WaitUntil(t, 60*time.Second, "mirror pod Running in `kubectl get pods -A -o wide`", func() bool {
		for _, line := range strings.Split(admin.must("get", "pods", "-A", "-o", "wide"), "\n") {
			f := strings.Fields(line)
			if len(f) >= 8 && f[0] == "default" && f[1] == mirrorName && f[3] == "Running" && f[6] == local.Status.PodIP && f[7] == agent.NodeName {
				return true
			}
		}
		return false
	})
	t.Logf("mirror pod listed Running %s after the agent's pod ran", time.Since(started).Round(time.Millisecond))
	node := getNode(t, admin, agent.NodeName)
	first := getMirror(t, admin, mirrorName)
	checkMirror(t, first, local, node)

	// Nothing changes, so nothing is written: no status patch while idle,
	// and a restarted agent adopts the mirror pod instead of making another.
	time.Sleep(3 * time.Second)
	checkUnchanged(t, "idle", first, getMirror(t, admin, mirrorName))
	agent.Signal(syscall.SIGTERM)
	agent.Start()
	time.Sleep(5 * time.Second)
	checkUnchanged(t, "across an agent restart", first, getMirror(t, admin, mirrorName))

	// Deleted, it comes back as a new object; the pod itself runs on.
	deleted := time.Now()
	admin.must("delete", "pod", mirrorName)
	t.Logf("kubectl delete pod returned after %s", time.Since(deleted).Round(time.Millisecond))
	var back *v1.Pod
	framework.WaitUntil(t, 30*time.Second, "mirror pod recreated", func() bool {
		back = getMirror(t, admin, mirrorName)
		return back != nil && back.UID != first.UID && back.DeletionTimestamp == nil && back.Status.Phase == v1.PodRunning
	})
	t.Logf("mirror pod back, Running, %s after the delete", time.Since(deleted).Round(time.Millisecond))
	now := agent.Pod("web")
	if now == nil || now.UID != local.UID || now.Status.ContainerStatuses[0].ContainerID != local.Status.ContainerStatuses[0].ContainerID ||
		now.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Errorf("deleting the mirror pod touched the pod: %+v", now)
	}

	// A changed manifest replaces the mirror pod with the new spec.
	edited := time.Now()
	agent.WriteManifest("web.yaml", withEnv(manifest, "VERSION", "v2"))
	var replaced *v1.Pod
	framework.WaitUntil(t, 90*time.Second, "mirror pod replaced with the new spec, Running", func() bool {
		replaced = getMirror(t, admin, mirrorName)
		return replaced != nil && replaced.UID != back.UID && hasEnv("VERSION", "v2")(replaced) && replaced.Status.Phase == v1.PodRunning
	})
	t.Logf("mirror pod replaced, Running, %s after the manifest changed", time.Since(edited).Round(time.Millisecond))
	if hash := replaced.Annotations["kubernetes.io/config.mirror"]; hash == first.Annotations["kubernetes.io/config.mirror"] || hash != string(agent.Pod("web").UID) {
		t.Errorf("replaced mirror's config.mirror %s: want the new pod's hash %s (old %s)", hash, agent.Pod("web").UID, first.Annotations["kubernetes.io/config.mirror"])
	}

	// Without its manifest, the mirror pod goes.
	removed := time.Now()
	agent.RemoveManifest("web.yaml")
	framework.WaitUntil(t, 60*time.Second, "mirror pod deleted", func() bool { return getMirror(t, admin, mirrorName) == nil })
	t.Logf("mirror pod gone %s after the manifest", time.Since(removed).Round(time.Millisecond))
}

// checkUnchanged fails when the mirror pod was written since before.
func checkUnchanged(t *testing.T, when string, before, now *v1.Pod) {
	t.Helper()
	if now == nil || now.UID != before.UID || now.ResourceVersion != before.ResourceVersion {
		was, _ := json.Marshal(before.Status)
		is, _ := json.Marshal(now)
		t.Errorf("%s the mirror pod changed: was uid %s rv %s status %s\nnow %s", when, before.UID, before.ResourceVersion, was, is)
	}
}

// checkMirror checks what NodeRestriction and users see of a mirror pod.
func checkMirror(t *testing.T, m, local *v1.Pod, node *v1.Node) {
	t.Helper()
	for key, want := range map[string]string{
		"kubernetes.io/config.mirror": string(local.UID), "kubernetes.io/config.hash": string(local.UID), "kubernetes.io/config.source": "file",
	} {
		if got := m.Annotations[key]; got != want {
			t.Errorf("mirror annotation %s = %q, want %q", key, got, want)
		}
	}
	if refs := m.OwnerReferences; len(refs) != 1 || refs[0].Kind != "Node" || refs[0].UID != node.UID {
		t.Errorf("mirror owners %+v: want the Node %s", refs, node.UID)
	}
	if m.Spec.NodeName != node.Name || m.Status.PodIP != local.Status.PodIP || len(m.Status.ContainerStatuses) != 1 ||
		m.Status.ContainerStatuses[0].State.Running == nil || m.Status.ContainerStatuses[0].ContainerID != local.Status.ContainerStatuses[0].ContainerID {
		t.Errorf("mirror nodeName %q status %+v: want %s, the pod's IP and running container", m.Spec.NodeName, m.Status, node.Name)
	}
	if ready := podCondition(m, v1.PodReady); ready != v1.ConditionTrue {
		t.Errorf("mirror Ready = %s", ready)
	}
}

// getMirror is the pod as the API server has it, or nil.
func getMirror(t *testing.T, admin cli, name string) *v1.Pod {
	t.Helper()
	out, errOut, err := admin.run("", "get", "pod", name, "-n", "default", "-o", "json")
	if err != nil {
		if strings.Contains(errOut, "NotFound") {
			return nil
		}
		t.Fatalf("kubectl get pod %s: %v\n%s", name, err, errOut)
	}
	var p v1.Pod
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func podCondition(p *v1.Pod, c v1.PodConditionType) v1.ConditionStatus {
	for _, cond := range p.Status.Conditions {
		if cond.Type == c {
			return cond.Status
		}
	}
	return v1.ConditionUnknown
}
