package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
)

const pollEvery = 2 * time.Millisecond

// directRunner is the floor: the CRI calls the agent must make, made
// straight from a client with nothing in between.
type directRunner struct {
	rt     *cri.Client
	image  string
	logDir string
	seq    int
}

func (d *directRunner) round(ctx context.Context, n int) ([]time.Duration, error) {
	d.seq++
	ids := make([]string, n)
	times, err := parallel(n, func(i int) error {
		name := fmt.Sprintf("floor-%d-%d", d.seq, i)
		uid := fmt.Sprintf("floor-uid-%d-%d", d.seq, i)
		logDir := filepath.Join(d.logDir, uid)
		if err := os.MkdirAll(filepath.Join(logDir, "kubia"), 0o755); err != nil {
			return err
		}
		// The same configuration the agent sends: hostname, the node's DNS,
		// a pod cgroup parent, a managed /etc/hosts and a termination log.
		sbConfig := &runtimeapi.PodSandboxConfig{
			Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "bench", Uid: uid},
			Hostname:     name,
			LogDirectory: logDir,
			DnsConfig:    hostDNS(),
			Labels:       map[string]string{"io.kubernetes.pod.name": name, "bench": "floor"},
			Linux: &runtimeapi.LinuxPodSandboxConfig{
				CgroupParent: "/minikubelet-bench/pod" + uid,
				SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{
					Pid: runtimeapi.NamespaceMode_CONTAINER}},
			},
		}
		hosts := filepath.Join(logDir, "etc-hosts")
		termination := filepath.Join(logDir, "termination-log")
		for _, f := range []string{hosts, termination} {
			if err := os.WriteFile(f, []byte("127.0.0.1\tlocalhost\n"), 0o666); err != nil {
				return err
			}
		}
		if _, err := d.rt.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: d.image}, false); err != nil {
			return err
		}
		sb, err := d.rt.RunPodSandbox(ctx, sbConfig, "")
		if err != nil {
			return err
		}
		ids[i] = sb
		c, err := d.rt.CreateContainer(ctx, sb, &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "kubia"},
			Image:    &runtimeapi.ImageSpec{Image: d.image},
			LogPath:  "kubia/0.log",
			Labels:   sbConfig.Labels,
			Mounts: []*runtimeapi.Mount{
				{ContainerPath: "/etc/hosts", HostPath: hosts},
				{ContainerPath: "/dev/termination-log", HostPath: termination},
			},
			Linux: &runtimeapi.LinuxContainerConfig{
				Resources: &runtimeapi.LinuxContainerResources{CpuShares: 2},
				SecurityContext: &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{
					Pid: runtimeapi.NamespaceMode_CONTAINER}},
			},
		}, sbConfig)
		if err != nil {
			return err
		}
		if err := d.rt.StartContainer(ctx, c); err != nil {
			return err
		}
		return waitRunning(ctx, d.rt, map[string]string{"io.kubernetes.pod.name": name, "bench": "floor"}, false)
	})
	for i, id := range ids {
		if id != "" {
			_ = d.rt.StopPodSandbox(ctx, id)
			_ = d.rt.RemovePodSandbox(ctx, id)
			removeCgroups("/minikubelet-bench/pod" + fmt.Sprintf("floor-uid-%d-%d", d.seq, i))
		}
	}
	return times, err
}

// hostDNS is the node's resolver, as the agent gives every pod.
func hostDNS() *runtimeapi.DNSConfig {
	dns := &runtimeapi.DNSConfig{}
	data, _ := os.ReadFile("/etc/resolv.conf")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			dns.Servers = append(dns.Servers, f[1])
		case "search":
			dns.Searches = append(dns.Searches, f[1:]...)
		case "options":
			dns.Options = append(dns.Options, f[1:]...)
		}
	}
	return dns
}

func removeCgroups(path string) {
	hierarchies, _ := os.ReadDir("/sys/fs/cgroup")
	for _, h := range hierarchies {
		_ = os.Remove(filepath.Join("/sys/fs/cgroup", h.Name(), path))
	}
}

// agentRunner writes manifests into a running agent's directory and
// watches the runtime, not the agent, for the result.
type agentRunner struct {
	rt    *cri.Client
	image string
	dir   string
	node  string
	seq   int
}

func (a *agentRunner) manifest(name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  containers:\n  - name: kubia\n    image: %s\n", name, a.image)
}

func (a *agentRunner) write(name string) error {
	tmp := filepath.Join(a.dir, "."+name)
	if err := os.WriteFile(tmp, []byte(a.manifest(name)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(a.dir, name+".yaml"))
}

func (a *agentRunner) names(n int) []string {
	a.seq++
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("mk-%d-%d", a.seq, i)
	}
	return names
}

func (a *agentRunner) round(ctx context.Context, n int) ([]time.Duration, error) {
	names := a.names(n)
	times, err := parallel(n, func(i int) error {
		if err := a.write(names[i]); err != nil {
			return err
		}
		return waitRunning(ctx, a.rt, a.selector(names[i]), false)
	})
	if rmErr := a.remove(ctx, names); err == nil {
		err = rmErr
	}
	return times, err
}

func (a *agentRunner) selector(name string) map[string]string {
	return map[string]string{"io.kubernetes.pod.name": name, "io.minikubelet.node": a.node}
}

// remove deletes the manifests and waits until the sandboxes are gone.
func (a *agentRunner) remove(ctx context.Context, names []string) error {
	_, err := parallel(len(names), func(i int) error {
		if err := os.Remove(filepath.Join(a.dir, names[i]+".yaml")); err != nil {
			return err
		}
		return waitGone(ctx, a.rt, a.selector(names[i]))
	})
	return err
}

func (a *agentRunner) deletionRound(ctx context.Context, rounds int) ([]time.Duration, error) {
	var out []time.Duration
	for i := 0; i < rounds; i++ {
		names := a.names(1)
		if err := a.write(names[0]); err != nil {
			return nil, err
		}
		if err := waitRunning(ctx, a.rt, a.selector(names[0]), false); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := a.remove(ctx, names); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

var running []string

func (a *agentRunner) startAll(ctx context.Context, n int) error {
	running = a.names(n)
	_, err := parallel(n, func(i int) error {
		if err := a.write(running[i]); err != nil {
			return err
		}
		return waitRunning(ctx, a.rt, a.selector(running[i]), false)
	})
	return err
}

func (a *agentRunner) removeAll(ctx context.Context) error { return a.remove(ctx, running) }

func waitRunning(ctx context.Context, rt *cri.Client, selector map[string]string, _ bool) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	filter := &runtimeapi.ContainerFilter{
		LabelSelector: selector,
		State:         &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING},
	}
	for {
		cs, err := rt.ListContainers(ctx, filter)
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no running container for %v: %w", selector, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

func waitGone(ctx context.Context, rt *cri.Client, selector map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		sbs, err := rt.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: selector})
		if err != nil {
			return err
		}
		if len(sbs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox for %v still there: %w", selector, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}
