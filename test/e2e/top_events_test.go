//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// memoryKubia is a kubia that holds 40 MiB.
func memoryKubia(env *framework.Env, name string) string {
	return kubiaPod(env, name, "    args: [-alloc-mib, \"40\"]\n", "")
}

// keepBusy makes a pod's kubia busy by downloading its /bytes endpoint
// over and over until the test ends. (kubia -busy-millicores does the
// same from inside, but the shared test bed's registry may hold a kubia
// built before it: whoever brings the test bed up pushes their own.)
func keepBusy(t *testing.T, podIP string) {
	ctx := framework.Context(t, 10*time.Minute)
	go func() {
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+podIP+":8080/bytes?n=20000000", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			} else {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
}

// topFigures finds the row that starts with the cells given in top's
// output and returns its CPU in millicores and memory in MiB.
func topFigures(out string, cells ...string) (cpu, mem int, ok bool) {
	for i := range cells {
		cells[i] = regexp.QuoteMeta(cells[i])
	}
	m := regexp.MustCompile(`(?m)^` + strings.Join(cells, `\s+`) + `\s+(\d+)m\s+(?:\d+%\s+)?(\d+)Mi`).FindStringSubmatch(out)
	if m == nil {
		return 0, 0, false
	}
	cpu, _ = strconv.Atoi(m[1])
	mem, _ = strconv.Atoi(m[2])
	return cpu, mem, true
}

func TestTopShowsTheCPUAndMemoryOfABusyContainer(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("top")
	agent.WriteManifest(name+".yaml", memoryKubia(agent.Env, name))
	pod := agent.WaitPod(name, 120*time.Second, "Running", framework.Running)
	keepBusy(t, pod.Status.PodIP)

	for client, c := range map[string]cli{"kubectl": kubectlFor(t, agent), "minikubelet": ownCLIFor(t, agent)} {
		t.Run(client, func(t *testing.T) {
			var out, errOut string
			deadline := time.Now().Add(60 * time.Second)
			for {
				out, errOut, _ = c.run("", "top", "pod", name, "--containers")
				if cpu, mem, ok := topFigures(out, name, "kubia"); ok && cpu > 0 && mem >= 40 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("top pod --containers did not show CPU and 40 MiB within 60s; last:\n%s%s", out, errOut)
				}
				time.Sleep(time.Second)
			}
			if !strings.HasPrefix(out, "POD ") {
				t.Errorf("top pod --containers has no POD column:\n%s", out)
			}
			all := c.must("top", "pod", "-A")
			if cpu, mem, ok := topFigures(all, "default", name); !ok || cpu == 0 || mem < 40 {
				t.Errorf("top pod -A:\n%s", all)
			}
			node := c.must("top", "node")
			if cpu, mem, ok := topFigures(node, agent.NodeName); !ok || cpu == 0 || mem == 0 {
				t.Errorf("top node:\n%s", node)
			}
		})
	}
}

func TestGetEventsWatchSeesARestart(t *testing.T) {
	agent := framework.StartAgent(t)
	for client, c := range map[string]cli{"kubectl": kubectlFor(t, agent), "minikubelet": ownCLIFor(t, agent)} {
		t.Run(client, func(t *testing.T) {
			name := framework.UniqueName("events")
			agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
			running := agent.WaitPod(name, 90*time.Second, "Running", framework.Running)

			lines, stop := c.background("get", "events", "-w", "--field-selector", "involvedObject.name="+name)
			defer stop()
			// The list first: the pod's start.
			waitLine(t, lines, regexp.MustCompile(`\sStarted\s+pod/`+name+`\s`), 30*time.Second)
			// Kill the container: the restart shows as it happens.
			_, id, _ := strings.Cut(running.Status.ContainerStatuses[0].ContainerID, "://")
			framework.Crictl(t, "stop", "--timeout", "0", id)
			agent.WaitPod(name, 90*time.Second, "restarted", func(p *v1.Pod) bool {
				return framework.Running(p) && p.Status.ContainerStatuses[0].RestartCount == 1
			})
			waitLine(t, lines, regexp.MustCompile(`\sStarted\s+pod/`+name+`\s`), 30*time.Second)
			agent.RemoveManifest(name + ".yaml")
			waitLine(t, lines, regexp.MustCompile(`\sKilling\s+pod/`+name+`\s`), 30*time.Second)
		})
	}
}
