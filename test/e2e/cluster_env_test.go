//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterEnvFromConfigMapsAndSecrets: a pod's env from a ConfigMap and
// a Secret (configMapKeyRef, secretKeyRef, envFrom with a prefix, a label
// by fieldRef) reaches its process, as `kubectl logs` of the process
// printing its environment shows (an init container: the agent drops a
// finished pod's containers, logs included). A pod naming a ConfigMap
// that does not exist waits with CreateContainerConfigError in `kubectl
// get pod`, and runs with the value once the ConfigMap is created.
func TestClusterEnvFromConfigMapsAndSecrets(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	settings, creds, late := framework.UniqueName("settings"), framework.UniqueName("creds"), framework.UniqueName("late")
	printer, waiter := framework.UniqueName("printenv"), framework.UniqueName("waiter")
	objects.add("configmap", settings)
	objects.add("configmap", late)
	objects.add("secret", creds)
	objects.pod(printer, waiter)
	admin.must("create", "configmap", settings, "--from-literal=mode=fast", "--from-literal=level=3")
	admin.must("create", "secret", "generic", creds, "--from-literal=user=alice", "--from-literal=pass=s3cret")
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)

	apply := func(_, manifest string) { createFrom(t, admin, manifest) }
	apply(printer, envPod(printer, agent.NodeName, agent.Env.KubiaImage, true, fmt.Sprintf(`    envFrom:
    - prefix: CFG_
      configMapRef: {name: %[1]s}
    - secretRef: {name: %[2]s}
    env:
    - name: MODE
      valueFrom: {configMapKeyRef: {name: %[1]s, key: mode}}
    - name: USER
      valueFrom: {secretKeyRef: {name: %[2]s, key: user}}
    - name: CFG_level
      value: "overridden-$(CFG_mode)"
    - name: NOT_THERE
      valueFrom: {configMapKeyRef: {name: %[1]s, key: missing, optional: true}}
    - name: APP
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
`, settings, creds)))
	apply(waiter, envPod(waiter, agent.NodeName, agent.Env.KubiaImage, false, fmt.Sprintf(`    env:
    - name: LATE
      valueFrom: {configMapKeyRef: {name: %s, key: value}}
`, late)))

	waitWide(t, admin, printer, agent.NodeName, 90*time.Second)
	env := parseEnviron(admin.must("logs", printer, "-c", "printenv"))
	for name, want := range map[string]string{
		"MODE": "fast", "USER": "alice", "CFG_mode": "fast", "CFG_level": "overridden-fast",
		"user": "alice", "pass": "s3cret", "APP": "env-test",
	} {
		if got, ok := env[name]; !ok || got != want {
			t.Errorf("kubectl logs: %s=%q (set: %v), want %q", name, got, ok, want)
		}
	}
	if _, ok := env["NOT_THERE"]; ok {
		t.Error("NOT_THERE is set; an optional missing key sets nothing")
	}

	framework.WaitUntil(t, 60*time.Second, "pod "+waiter+" CreateContainerConfigError in `kubectl get pod`", func() bool {
		f := strings.Fields(lastLine(admin.must("get", "pod", waiter)))
		return len(f) >= 3 && f[2] == "CreateContainerConfigError"
	})
	if p := getMirror(t, admin, waiter); p == nil || len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Waiting == nil ||
		!strings.Contains(p.Status.ContainerStatuses[0].State.Waiting.Message, "ConfigMap default/"+late+" not found") {
		t.Errorf("waiting pod status %+v: want a message naming ConfigMap default/%s", p.Status, late)
	} else {
		t.Logf("waiting: %s", p.Status.ContainerStatuses[0].State.Waiting.Message)
	}
	created := time.Now()
	admin.must("create", "configmap", late, "--from-literal=value=at-last")
	waitWide(t, admin, waiter, agent.NodeName, 90*time.Second)
	t.Logf("the waiting pod Running %s after its ConfigMap was created", time.Since(created).Round(time.Millisecond))
	if got := parseEnviron(admin.mustVerb("exec", waiter, "--", "/kubia", "cat", "/proc/1/environ"))["LATE"]; got != "at-last" {
		t.Errorf("LATE=%q, want at-last", got)
	}
}

// envPod is a kubia pod bound by the scheduler to node; env is YAML under
// its container "printenv", which prints its environment (NUL-separated)
// for kubectl logs, as an init container, or as the app container
// (printer false) serves HTTP with the env, for kubectl exec to read.
func envPod(name, node, image string, printer bool, env string) string {
	container := fmt.Sprintf(`  containers:
  - name: printenv
    image: %s
%s`, image, env)
	if printer {
		container = fmt.Sprintf(`  initContainers:
  - name: printenv
    image: %[1]s
    command: ["/kubia", "cat", "/proc/self/environ"]
%[2]s  containers:
  - name: kubia
    image: %[1]s
`, image, env)
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels: {app: env-test}
spec:
  automountServiceAccountToken: false
  nodeSelector:
    kubernetes.io/hostname: %s
%s`, name, node, container)
}

// parseEnviron reads /proc/PID/environ.
func parseEnviron(environ string) map[string]string {
	env := map[string]string{}
	for _, kv := range strings.Split(environ, "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}
