//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// apply, diff, edit and label with the real kubectl (and our CLI) against
// a real agent: each change lands in the pod's manifest, a spec change
// replaces the pod once, a label changes nothing that runs.

// hasEnv reports a running pod whose first container has env name=value.
func hasEnv(name, value string) func(*v1.Pod) bool {
	return func(p *v1.Pod) bool {
		if !framework.Running(p) {
			return false
		}
		for _, e := range p.Spec.Containers[0].Env {
			if e.Name == name && e.Value == value {
				return true
			}
		}
		return false
	}
}

// withEnv adds env name=value to the kubia container of a manifest.
func withEnv(manifest, name, value string) string {
	return strings.Replace(manifest, "    ports:", "    env:\n    - name: "+name+"\n      value: "+value+"\n    ports:", 1)
}

func TestKubectlApplyTwiceWithAnEditReplacesThePodOnce(t *testing.T) {
	agent := framework.StartAgent(t)
	k := kubectlFor(t, agent)
	name := framework.UniqueName("apply")
	file := filepath.Join(t.TempDir(), "pod.yaml")
	manifest := apiKubiaManifest(name, agent.Env.KubiaImage)
	os.WriteFile(file, []byte(manifest), 0o644)

	if out := k.must("apply", "-f", file); strings.TrimSpace(out) != "pod/"+name+" created" {
		t.Errorf("first apply printed %q", out)
	}
	first := agent.WaitPod(name, 90*time.Second, "Running", framework.Running)
	if out := k.must("apply", "-f", file); strings.TrimSpace(out) != "pod/"+name+" unchanged" {
		t.Errorf("apply of the same file printed %q", out)
	}
	if out, errOut, err := k.run("", "diff", "-f", file); err != nil || out != "" {
		t.Errorf("diff of the applied file = %v, want exit 0 and nothing:\n%s%s", err, out, errOut)
	}

	os.WriteFile(file, []byte(withEnv(manifest, "TIER", "front")), 0o644)
	written := filepath.Join(agent.ManifestDir, "default_"+name+".yaml")
	before, _ := os.ReadFile(written)
	out, _, err := k.run("", "diff", "-f", file)
	if exitCode(err) != 1 || !strings.Contains(out, "+    - name: TIER") || !regexp.MustCompile(`(?m)^-  uid: `+string(first.UID)).MatchString(out) {
		t.Errorf("diff of an edit = exit %d, want 1 with the new env and a new uid:\n%s", exitCode(err), out)
	}
	if after, _ := os.ReadFile(written); string(after) != string(before) {
		t.Errorf("diff (a dry run) changed the manifest:\n%s", after)
	}
	if p := agent.Pod(name); p == nil || p.UID != first.UID {
		t.Fatalf("the unchanged apply or the diff replaced the pod: %v", p)
	}

	if out := k.must("apply", "-f", file); strings.TrimSpace(out) != "pod/"+name+" configured" {
		t.Errorf("apply of the edit printed %q", out)
	}
	second := agent.WaitPod(name, 90*time.Second, "Running with the new env", hasEnv("TIER", "front"))
	if second.UID == first.UID {
		t.Errorf("the pod kept UID %s after its spec changed", first.UID)
	}
	if text, _ := os.ReadFile(written); !strings.Contains(string(text), "TIER") {
		t.Errorf("the manifest does not hold the change:\n%s", text)
	}
	// Replaced once: the UID stays, and one sandbox remains.
	time.Sleep(3 * time.Second)
	if p := agent.Pod(name); p == nil || p.UID != second.UID {
		t.Errorf("the pod changed again after the apply: %v", p)
	}
	if out, _, err := k.run("", "diff", "-f", file); err != nil {
		t.Errorf("diff after the apply = %v:\n%s", err, out)
	}
	waitFor(t, 60*time.Second, "one sandbox left for the pod", func() bool { return len(sandboxesOf(t, agent, name)) == 1 })
	k.must("delete", "-f", file)
}

// editorScript writes a shell script that edits its file argument with sed.
func editorScript(t *testing.T, sedProgram string) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "editor.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sed -i '"+sedProgram+"' \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

func TestEditWithAnEditorScriptRewritesTheManifestInPlace(t *testing.T) {
	agent := framework.StartAgent(t)
	for client, c := range map[string]cli{"kubectl": kubectlFor(t, agent), "minikubelet": ownCLIFor(t, agent)} {
		t.Run(client, func(t *testing.T) {
			name := framework.UniqueName("edit")
			manifest := "# " + name + ", written by hand\n" + kubiaPod(agent.Env, name, "", "")
			path := agent.WriteManifest(name+".yaml", manifest)
			first := agent.WaitPod(name, 90*time.Second, "Running", framework.Running)

			c.env = []string{"EDITOR=" + editorScript(t, `s/^\(    \)ports:/\1env:\n\1- name: EDITED\n\1  value: "yes"\n\1ports:/`), "KUBE_EDITOR="}
			if out := c.must("edit", "pod", name); strings.TrimSpace(out) != "pod/"+name+" edited" {
				t.Errorf("edit printed %q", out)
			}
			second := agent.WaitPod(name, 90*time.Second, "Running with the edit", hasEnv("EDITED", "yes"))
			if second.UID == first.UID {
				t.Errorf("the pod kept its UID after a spec edit")
			}
			// The env goes after ports, where the Pod type has it; the rest,
			// comment included, stays as written.
			text, _ := os.ReadFile(path)
			if want := manifest + "    env:\n    - name: EDITED\n      value: \"yes\"\n"; string(text) != want {
				t.Errorf("the manifest after edit:\n%s\nwant the change in the file's own layout:\n%s", text, want)
			}
			c.env = []string{"EDITOR=" + editorScript(t, `s/nothing//`), "KUBE_EDITOR="}
			// kubectl says so on stderr, our CLI on stdout.
			if out, errOut, err := c.run("", "edit", "pod", name); err != nil || !strings.Contains(out+errOut, "Edit cancelled, no changes made.") {
				t.Errorf("an edit that changes nothing = %v, printed %q %q", err, out, errOut)
			}
			agent.RemoveManifest(name + ".yaml")
		})
	}
}

func TestLabelAndAnnotateKeepThePodRunning(t *testing.T) {
	agent := framework.StartAgent(t)
	k := kubectlFor(t, agent)
	name := framework.UniqueName("label")
	path := agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
	before := agent.WaitPod(name, 90*time.Second, "Running", framework.Running)

	if out := k.must("label", "pod", name, "tier=front"); strings.TrimSpace(out) != "pod/"+name+" labeled" {
		t.Errorf("label printed %q", out)
	}
	if out := k.must("annotate", "pod", name, "owner=team-a"); strings.TrimSpace(out) != "pod/"+name+" annotated" {
		t.Errorf("annotate printed %q", out)
	}
	after := agent.WaitPod(name, 30*time.Second, "the label and annotation shown", func(p *v1.Pod) bool {
		return p.Labels["tier"] == "front" && p.Annotations["owner"] == "team-a"
	})
	time.Sleep(3 * time.Second) // several relists: a replacement would show by now
	after = agent.Pod(name)
	if after.UID != before.UID || !framework.Running(after) {
		t.Fatalf("label replaced the pod: UID %s → %s, running %v", before.UID, after.UID, framework.Running(after))
	}
	was, is := before.Status.ContainerStatuses[0], after.Status.ContainerStatuses[0]
	if is.ContainerID != was.ContainerID || is.RestartCount != 0 {
		t.Errorf("label touched the container: %s (restarts %d) → %s (restarts %d)", was.ContainerID, was.RestartCount, is.ContainerID, is.RestartCount)
	}
	if text, _ := os.ReadFile(path); !strings.Contains(string(text), "tier: front") || !strings.Contains(string(text), "owner: team-a") {
		t.Errorf("the manifest does not hold the label and annotation:\n%s", text)
	}
	if got := k.must("get", "pod", name, "-L", "tier", "--no-headers"); !regexp.MustCompile(name + `\s+1/1\s+Running\s+0\s+\S+\s+front`).MatchString(got) {
		t.Errorf("get -L tier = %q", got)
	}
	if ids := sandboxesOf(t, agent, name); len(ids) != 1 {
		t.Errorf("the pod has %d sandboxes after label, want its one: %v", len(ids), ids)
	}
}

// sandboxesOf lists the IDs of the agent's sandboxes of a pod. (The
// whole inventory check is for a runtime of one's own: the shared test
// bed holds network namespaces other tests leak.)
func sandboxesOf(t *testing.T, agent *framework.Agent, name string) []string {
	t.Helper()
	out := framework.Crictl(t, "pods", "-q", "--label", "io.minikubelet.node="+agent.NodeName, "--label", "io.kubernetes.pod.name="+name)
	return strings.Fields(out)
}
