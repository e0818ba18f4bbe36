//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Chaos case 5: the disk behind --pod-log-dir or --root-dir full (a small
// tmpfs the test mounts there and fills). Running containers keep running
// and answering; the agent says so once (and once when space returns),
// shows DiskPressure on every pod and exports minikubelet_disk_full;
// nothing crashes; once space returns everything recovers, including a pod
// written while the disk was full.

// diskCase is which of the agent's directories sits on the full disk.
type diskCase struct {
	flag string
	// place points the agent's directory into the mounted file system.
	place func(agent *framework.Agent, mount string)
	// newPodWaits says a pod written while the disk is full cannot start
	// (its /etc/hosts lives in --root-dir); one in a full --pod-log-dir
	// starts, its logs lost.
	newPodWaits bool
}

func TestChaosDiskFullBehindPodLogDir(t *testing.T) {
	requireChaos(t)
	chaosDiskFull(t, diskCase{flag: "pod-log-dir",
		place: func(a *framework.Agent, mount string) { a.PodLogDir = filepath.Join(mount, "pods") }})
}

func TestChaosDiskFullBehindRootDir(t *testing.T) {
	requireChaos(t)
	chaosDiskFull(t, diskCase{flag: "root-dir", newPodWaits: true,
		place: func(a *framework.Agent, mount string) { a.RootDir = filepath.Join(mount, "root") }})
}

func chaosDiskFull(t *testing.T, dc diskCase) {
	mount := smallTmpfs(t, "32m") // before the agent: unmounted after its teardown
	agent := framework.NewAgent(t)
	dc.place(agent, mount)
	agent.Start()
	names := chaosWritePods(agent, "disk", 3)
	chaosWaitRunning(t, agent, names, 2*time.Minute)
	before := chaosContainers(t, agent)
	logStart := len(agent.Logs())

	filler := fillDisk(t, mount)
	filled := time.Now()
	framework.WaitUntil(t, time.Minute, "the agent to say the disk is full", func() bool {
		return strings.Contains(agent.Logs()[logStart:], "is full")
	})
	noticed := time.Since(filled)
	if full, err := agent.Metric(`minikubelet_disk_full{flag="` + dc.flag + `"}`); err != nil || full != 1 {
		t.Errorf("minikubelet_disk_full{flag=%q} = %v (%v), want 1", dc.flag, full, err)
	}
	pod := agent.WaitPod(names[0], 30*time.Second, "the DiskPressure condition", func(p *v1.Pod) bool { return diskPressure(p) != nil })
	t.Logf("pod condition: %s: %s", diskPressure(pod).Reason, diskPressure(pod).Message)
	if msg := diskPressure(pod).Message; !strings.Contains(msg, "--"+dc.flag) || !strings.Contains(msg, "is full") {
		t.Errorf("DiskPressure message does not name --%s: %q", dc.flag, msg)
	}
	late := framework.UniqueName("late")
	agent.WriteManifest(late+".yaml", kubiaPod(agent.Env, late, "", ""))
	for range 3 { // the containers log every request: writes to a full disk
		for _, name := range names {
			if p := agent.Pod(name); p != nil {
				if body, err := framework.HTTPGet(framework.Context(t, 10*time.Second), "http://"+net.JoinHostPort(p.Status.PodIP, "8080")+"/"); err != nil || !strings.Contains(body, name) {
					t.Errorf("pod %s stopped answering with its disk full: %q, %v", name, body, err)
				}
			}
		}
		time.Sleep(2 * time.Second)
	}
	var lateWaiting *v1.ContainerStateWaiting
	if dc.newPodWaits {
		agent.WaitPod(late, time.Minute, "a waiting reason that says the disk is full", func(p *v1.Pod) bool {
			if len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].State.Waiting != nil {
				lateWaiting = p.Status.ContainerStatuses[0].State.Waiting
			}
			return lateWaiting != nil && strings.Contains(lateWaiting.Message, "no space left on device")
		})
		t.Logf("the new pod waits: %s: %s", lateWaiting.Reason, lateWaiting.Message)
	}
	if replaced := chaosReplaced(before, chaosContainers(t, agent)); len(replaced) > 0 || agent.Exited() {
		t.Fatalf("with the disk full the agent exited (%v) or containers were replaced: %v", agent.Exited(), replaced)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	chaosWaitRunning(t, agent, append([]string{late}, names...), 2*time.Minute)
	framework.WaitUntil(t, time.Minute, "the DiskPressure condition gone", func() bool {
		p := agent.Pod(names[0])
		return p != nil && diskPressure(p) == nil
	})
	converged := time.Since(freed)
	clean := chaosClean(t, agent, freed)
	if full, err := agent.Metric(`minikubelet_disk_full{flag="` + dc.flag + `"}`); err != nil || full != 0 {
		t.Errorf("minikubelet_disk_full{flag=%q} = %v (%v) once space returned, want 0", dc.flag, full, err)
	}
	log := agent.Logs()[logStart:]
	full, back := strings.Count(log, "is full; running containers keep running"), strings.Count(log, "has space again")
	others := chaosWithout(chaosWarnings(log), "is full; running containers keep running")
	note := fmt.Sprintf("noticed after %s", noticed.Round(100*time.Millisecond))
	if lateWaiting != nil {
		note += "; a new pod waited with " + lateWaiting.Reason
	}
	framework.RecordFigures(t, framework.Figures{
		Case: "disk behind --" + dc.flag + " full", Faults: fmt.Sprintf("full for %s", freed.Sub(filled).Round(time.Second)),
		Pods: len(names) + 1, Restarts: chaosRestarts(agent.RestartCounts(t)), Converged: converged, Clean: clean,
		LogLines: fmt.Sprintf("%d full, %d back, %d other warnings", full, back, len(others)), Note: note,
	})
	if full != 1 || back != 1 || len(others) != 0 {
		t.Errorf("want one line when the disk filled, one when space returned and no other warning; got %d, %d and:\n%s",
			full, back, strings.Join(others, "\n"))
	}
}

// diskPressure returns the pod's DiskPressure condition, or nil.
func diskPressure(p *v1.Pod) *v1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == "DiskPressure" && p.Status.Conditions[i].Status == v1.ConditionTrue {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// smallTmpfs mounts a tmpfs of size in a fresh directory and unmounts it
// when the test ends. On the test bed / is a shared mount, so the runtimes
// in their own mount namespaces see it too.
func smallTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	framework.MustRun(t, "mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir)
	framework.Cleanup(t, "unmount the test's tmpfs", func(context.Context) error {
		return framework.RunErr("umount", "--lazy", dir)
	})
	return dir
}

// fillDisk writes a file into dir until its file system has no space
// left, and returns the file's path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return path
		}
	}
}
