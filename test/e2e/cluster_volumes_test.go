//go:build e2e

package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterPodVolumesFromTheAPIServer runs, on a node joined to the test
// bed's control plane, a pod as the cluster makes it by default: with the
// kube-api-access projected volume (a bound service-account token, the
// cluster CA from kube-root-ca.crt, the namespace), plus a configMap, a
// secret and a downwardAPI volume, one key also mounted alone by subPath.
// Through `kubectl exec`: each file holds
// what the API server has; the token authenticates to kube-apiserver as
// the pod's service account; the volumes are read-only; a configMap update
// reaches the file. On the node: the secret and token volumes are tmpfs,
// and none of the pod's mounts is left once it is deleted.
func TestClusterPodVolumesFromTheAPIServer(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	pod, config, secret := framework.UniqueName("vols"), framework.UniqueName("app"), framework.UniqueName("db")
	objects.pod(pod)
	objects.add("configmap", config)
	objects.add("secret", secret)
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)
	admin.must("create", "configmap", config, "--from-literal=greeting=hello")
	admin.must("create", "secret", "generic", secret, "--from-literal=password=s3cret")
	manifest := `apiVersion: v1
kind: Pod
metadata:
  name: ` + pod + `
  labels: {tier: web}
spec:
  nodeSelector:
    kubernetes.io/hostname: ` + agent.NodeName + `
  containers:
  - name: kubia
    image: ` + agent.Env.KubiaImage + `
    volumeMounts:
    - {name: config, mountPath: /etc/app}
    - {name: config, mountPath: /etc/greeting.txt, subPath: greeting}
    - {name: secret, mountPath: /etc/db}
    - {name: podinfo, mountPath: /etc/podinfo}
  volumes:
  - name: config
    configMap: {name: ` + config + `}
  - name: secret
    secret: {secretName: ` + secret + `, defaultMode: 0400}
  - name: podinfo
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
`
	created := time.Now()
	createFrom(t, admin, manifest)
	running := waitWide(t, admin, pod, agent.NodeName, 90*time.Second)
	t.Logf("pod with 4 API-backed volumes Running and Ready %s after kubectl create", time.Since(created).Round(time.Millisecond))

	cat := func(path string) string {
		out, _, err := admin.verb("", "exec", pod, "--", "/kubia", "cat", path)
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return out
	}
	sa := "/var/run/secrets/kubernetes.io/serviceaccount"
	checks := map[string]string{
		"/etc/app/greeting": "hello", "/etc/greeting.txt": "hello", "/etc/db/password": "s3cret",
		"/etc/podinfo/name": pod, "/etc/podinfo/labels": `tier="web"`,
		sa + "/namespace": "default",
	}
	for path, want := range checks {
		if got := cat(path); got != want {
			t.Errorf("%s in the container = %q, want %q", path, got, want)
		}
	}
	if ca := cat(sa + "/ca.crt"); !strings.Contains(ca, "BEGIN CERTIFICATE") {
		t.Errorf("%s/ca.crt = %q, want the cluster CA", sa, ca)
	}
	token := strings.TrimSpace(cat(sa + "/token"))
	server := admin.must("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	asPod := kubectlWith(t, "--kubeconfig", "/dev/null", "--server", server, "--insecure-skip-tls-verify", "--token", token)
	if who := asPod.must("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); who != "system:serviceaccount:default:default" {
		t.Errorf("the pod's token authenticates as %q, want system:serviceaccount:default:default", who)
	}
	if out, _, err := admin.verb("", "exec", pod, "--", "/kubia", "write", "/etc/app/greeting", "changed"); err == nil {
		t.Errorf("the container wrote to its configMap volume (%q): want it read-only", out)
	}

	for _, kind := range []string{"secret", "projected"} {
		dir := filepath.Join(agent.RootDir, "pods", string(running.UID), "volumes", "kubernetes.io~"+kind)
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) == 0 {
			t.Errorf("no %s volume under %s: %v", kind, dir, err)
			continue
		}
		if fs := mountFSType(t, filepath.Join(dir, entries[0].Name())); fs != "tmpfs" {
			t.Errorf("the %s volume %s is on %q, want tmpfs (secrets never on disk)", kind, entries[0].Name(), fs)
		}
	}

	updated := time.Now()
	admin.must("patch", "configmap", config, "-p", `{"data":{"greeting":"bonjour"}}`)
	framework.WaitUntil(t, 90*time.Second, "the configMap update in the container's file", func() bool {
		return cat("/etc/app/greeting") == "bonjour"
	})
	t.Logf("configMap update visible in the container %s after kubectl patch", time.Since(updated).Round(time.Millisecond))

	admin.must("delete", "pod", pod, "--wait=true", "--timeout=60s")
	podDir := filepath.Join(agent.RootDir, "pods", string(running.UID))
	if left := mountsUnder(t, podDir); len(left) > 0 {
		t.Errorf("mounts left under the deleted pod's directory: %v", left)
	}
	if _, err := os.Stat(podDir); err == nil {
		t.Errorf("the deleted pod's directory %s is still there", podDir)
	}
}

// mountFSType is the file system type of the mount at path, "" if none.
func mountFSType(t *testing.T, path string) string {
	for _, m := range mounts(t) {
		if m[0] == path {
			return m[1]
		}
	}
	return ""
}

// mountsUnder lists the mount points under dir.
func mountsUnder(t *testing.T, dir string) []string {
	var under []string
	for _, m := range mounts(t) {
		if strings.HasPrefix(m[0], dir+"/") {
			under = append(under, m[0])
		}
	}
	return under
}

// mounts are this mount namespace's mount points and types.
func mounts(t *testing.T) [][2]string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		for i, field := range fields {
			if field == "-" && i+1 < len(fields) && len(fields) > 4 {
				out = append(out, [2]string{fields[4], fields[i+1]})
				break
			}
		}
	}
	return out
}
