package prober

import (
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// These tests run in a synctest bubble: time is fake and advances only
// when every goroutine waits, so periods of 10 s take no real time and
// each probe runs at an exact instant. A worker left running when a test
// returns makes synctest fail the test as deadlocked.

func TestReadinessStartsFalseAndFollowsThresholds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		m, rec, _ := testManager(t, rt)
		spec := v1.Container{ReadinessProbe: execProbe("ready", func(p *v1.Probe) {
			p.SuccessThreshold, p.FailureThreshold = 2, 3
		})}
		pod := testPod("u1", spec)
		c := &pod.Spec.Containers[0]
		if m.Ready(pod.UID, c, "c1") {
			t.Fatal("a container with a readiness probe is ready before the manager knows it")
		}
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c1", StartedAt: time.Now()}})
		synctest.Wait()
		if m.Ready(pod.UID, c, "c1") {
			t.Fatal("ready after 1 success; successThreshold is 2")
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if !m.Ready(pod.UID, c, "c1") {
			t.Fatal("not ready after 2 successes 10s apart")
		}
		if rec.changeCount() != 1 {
			t.Fatalf("OnChange called %d times, want 1 (not ready → ready)", rec.changeCount())
		}

		rt.fail("ready", true)
		for i := 1; i <= 2; i++ {
			time.Sleep(10 * time.Second)
			synctest.Wait()
			if !m.Ready(pod.UID, c, "c1") {
				t.Fatalf("not ready after %d failures; failureThreshold is 3", i)
			}
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if m.Ready(pod.UID, c, "c1") {
			t.Fatal("still ready after 3 failures in a row")
		}
		if got := len(rt.callTimes("c1", "ready")); got != 5 {
			t.Fatalf("probe ran %d times in 40s with periodSeconds defaulted to 10, want 5", got)
		}
		events := rec.eventMessages()
		if len(events) != 3 || !strings.HasPrefix(events[0], "Unhealthy web: Readiness probe failed: command [\"ready\"] exited with code 1: ready says no") {
			t.Fatalf("events = %q, want 3 Unhealthy readiness failures with the command and its output", events)
		}
	})
}

func TestLivenessFailureAsksForRestartAndStopsProbing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		m, rec, _ := testManager(t, rt)
		grace := int64(7)
		spec := v1.Container{LivenessProbe: execProbe("alive", func(p *v1.Probe) {
			p.PeriodSeconds, p.FailureThreshold, p.TerminationGracePeriodSeconds = 2, 2, &grace
		})}
		pod := testPod("u1", spec)
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c1", StartedAt: time.Now()}})
		synctest.Wait()
		if _, failed := m.LivenessFailed(pod.UID, "c1"); failed {
			t.Fatal("liveness failed while the probe passes")
		}
		rt.fail("alive", true)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if _, failed := m.LivenessFailed(pod.UID, "c1"); failed {
			t.Fatal("liveness failed after 1 failure; failureThreshold is 2")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		restart, failed := m.LivenessFailed(pod.UID, "c1")
		if !failed || restart.Probe != Liveness || restart.Message != "Container web failed liveness probe, will be restarted" ||
			restart.GracePeriodSeconds == nil || *restart.GracePeriodSeconds != 7 {
			t.Fatalf("LivenessFailed = %+v, %v", restart, failed)
		}
		if rec.changeCount() != 1 {
			t.Fatalf("OnChange called %d times, want 1", rec.changeCount())
		}
		// The failed container waits for its kill: no more probes.
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := len(rt.callTimes("c1", "alive")); got != 3 {
			t.Fatalf("probe ran %d times, want 3 (no probing after the failure)", got)
		}

		// The restarted container is a new ID with a fresh, passing probe.
		rt.fail("alive", false)
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c2", StartedAt: time.Now()}})
		synctest.Wait()
		if _, failed := m.LivenessFailed(pod.UID, "c2"); failed {
			t.Fatal("the restarted container inherited the failure")
		}
		if _, failed := m.LivenessFailed(pod.UID, "c1"); failed {
			t.Fatal("the dead container's result is still kept")
		}
	})
}

func TestInitialDelayCountsFromContainerStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		m, _, _ := testManager(t, rt)
		spec := v1.Container{ReadinessProbe: execProbe("ready", func(p *v1.Probe) { p.InitialDelaySeconds = 5 })}
		pod := testPod("u1", spec)
		began := time.Now()
		// The container started 3s before the sync loop reported it.
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c1", StartedAt: began.Add(-3 * time.Second)}})
		time.Sleep(time.Second)
		synctest.Wait()
		if calls := rt.callTimes("c1", "ready"); len(calls) != 0 {
			t.Fatalf("probed %s after the report, within the initial delay", calls[0].Sub(began))
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		calls := rt.callTimes("c1", "ready")
		if len(calls) != 1 || calls[0].Sub(began) != 2*time.Second {
			t.Fatalf("probe times %v, want one at 2s (5s after the container started)", calls)
		}
		if !m.Ready(pod.UID, &pod.Spec.Containers[0], "c1") {
			t.Fatal("not ready after the first success")
		}
	})
}

func TestStartupProbeHoldsBackLivenessAndReadiness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		m, rec, _ := testManager(t, rt)
		spec := v1.Container{
			StartupProbe:   execProbe("started", func(p *v1.Probe) { p.PeriodSeconds, p.FailureThreshold = 1, 30 }),
			LivenessProbe:  execProbe("alive"),
			ReadinessProbe: execProbe("ready"),
		}
		pod := testPod("u1", spec)
		c := &pod.Spec.Containers[0]
		rt.fail("started", true)
		rt.fail("alive", true) // would kill the container if it ran before startup passed
		began := time.Now()
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c1", StartedAt: began}})
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if m.Started(pod.UID, c, "c1") || m.Ready(pod.UID, c, "c1") {
			t.Fatal("started or ready while the startup probe fails")
		}
		if n := len(rt.callTimes("c1", "alive")) + len(rt.callTimes("c1", "ready")); n != 0 {
			t.Fatalf("liveness/readiness ran %d times before startup passed", n)
		}
		rt.fail("started", false)
		rt.fail("alive", false)
		time.Sleep(time.Second)
		synctest.Wait()
		if !m.Started(pod.UID, c, "c1") || !m.Ready(pod.UID, c, "c1") {
			t.Fatal("startup passed at 21s, but the container is not started and ready at once")
		}
		ready := rt.callTimes("c1", "ready")
		if len(ready) != 1 || ready[0].Sub(began) != 21*time.Second {
			t.Fatalf("readiness ran at %v, want once, at 21s, the instant startup passed", ready)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := len(rt.callTimes("c1", "started")); got != 22 {
			t.Fatalf("startup probe ran %d times, want 22 (it stops once passed)", got)
		}
		if rec.changeCount() != 2 {
			t.Fatalf("OnChange called %d times, want 2 (started, ready)", rec.changeCount())
		}
	})
}

func TestStartupProbeFailureAsksForRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		m, _, _ := testManager(t, rt)
		pod := testPod("u1", v1.Container{
			StartupProbe:  execProbe("started", func(p *v1.Probe) { p.PeriodSeconds, p.FailureThreshold = 1, 3 }),
			LivenessProbe: execProbe("alive"),
		})
		rt.fail("started", true)
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c1", StartedAt: time.Now()}})
		time.Sleep(2 * time.Second)
		synctest.Wait()
		restart, failed := m.LivenessFailed(pod.UID, "c1")
		if !failed || restart.Probe != Startup || restart.Message != "Container web failed startup probe, will be restarted" {
			t.Fatalf("LivenessFailed after 3 startup failures = %+v, %v", restart, failed)
		}
		if len(rt.callTimes("c1", "alive")) != 0 {
			t.Fatal("liveness ran although startup never passed")
		}
	})
}

func TestWorkersStopWhenContainerOrPodGoes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		rec := &recorder{}
		m, err := NewManager(Config{Runtime: rt, OnChange: rec.onChange, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		// No Stop at the end: a worker that outlives its container keeps a
		// timer pending and synctest fails the test as deadlocked.
		spec := v1.Container{
			LivenessProbe: execProbe("alive"), ReadinessProbe: execProbe("ready"),
			StartupProbe: execProbe("started"),
		}
		a, b := testPod("a", spec), testPod("b", spec)
		baseline := runtime.NumGoroutine()
		m.UpdatePod(a, "10.0.0.1", []RunningContainer{{Name: "web", ID: "a1", StartedAt: time.Now()}})
		m.UpdatePod(b, "10.0.0.2", []RunningContainer{{Name: "web", ID: "b1", StartedAt: time.Now()}})
		time.Sleep(30 * time.Second)
		synctest.Wait()
		m.UpdatePod(a, "10.0.0.1", nil) // container exited
		m.RemovePod(b.UID)              // pod deleted
		synctest.Wait()
		// Without time passing: the workers end when told, not at their
		// next tick.
		if n := runtime.NumGoroutine(); n > baseline {
			t.Fatalf("%d goroutines after the containers went, %d before they came", n, baseline)
		}
		before := len(rt.callTimes("a1", "alive")) + len(rt.callTimes("b1", "alive"))
		time.Sleep(time.Minute)
		synctest.Wait()
		if after := len(rt.callTimes("a1", "alive")) + len(rt.callTimes("b1", "alive")); after != before {
			t.Fatalf("probes kept running after their containers went: %d → %d", before, after)
		}
		if m.Ready(a.UID, &a.Spec.Containers[0], "a1") {
			t.Fatal("a gone container is still reported ready")
		}
	})
}

func TestStopEndsEveryWorkerAndLaterUpdatesAreIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		m, _, _ := testManager(t, rt)
		pod := testPod("u1", v1.Container{LivenessProbe: execProbe("alive")})
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c1", StartedAt: time.Now()}})
		synctest.Wait()
		m.Stop()
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c2", StartedAt: time.Now()}})
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := len(rt.callTimes("c1", "alive")) + len(rt.callTimes("c2", "alive")); n != 1 {
			t.Fatalf("%d probes ran; want only the first, before Stop", n)
		}
	})
}

func TestErroredProbesAreCountedAsUnknownAndNotAsFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		m, rec, reg := testManager(t, rt)
		// Liveness on a port name the container does not declare: every
		// run errors, and errors must not kill the container.
		spec := v1.Container{LivenessProbe: &v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{}}}}
		spec.LivenessProbe.TCPSocket.Port = intstr.FromString("metrics")
		pod := testPod("u1", spec)
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c1", StartedAt: time.Now()}})
		time.Sleep(time.Minute)
		synctest.Wait()
		if _, failed := m.LivenessFailed(pod.UID, "c1"); failed {
			t.Fatal("errored probe runs killed the container")
		}
		unknown := probeCount(t, reg, Liveness, Unknown, pod)
		if unknown != 7 {
			t.Fatalf("prober_probe_total{result=unknown} = %v, want 7 (0s..60s every 10s)", unknown)
		}
		events := rec.eventMessages()
		want := `Unhealthy web: Liveness probe errored: livenessProbe.tcpSocket.port: container web has no port named "metrics"`
		if len(events) == 0 || !strings.HasPrefix(events[0], want) {
			t.Fatalf("first event %q, want prefix %q", events, want)
		}
	})
}

func TestProbeCounterHasKubeletLabelsAndGoesWithThePod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		m, _, reg := testManager(t, rt)
		pod := testPod("u1", v1.Container{
			LivenessProbe:  execProbe("alive", func(p *v1.Probe) { p.PeriodSeconds = 1 }),
			ReadinessProbe: execProbe("ready", func(p *v1.Probe) { p.PeriodSeconds = 1 }),
		})
		rt.fail("ready", true)
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c1", StartedAt: time.Now()}})
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if got := probeCount(t, reg, Liveness, Success, pod); got != 5 {
			t.Fatalf("liveness successful = %v, want 5", got)
		}
		if got := probeCount(t, reg, Readiness, Failure, pod); got != 5 {
			t.Fatalf("readiness failed = %v, want 5", got)
		}
		m.RemovePod(pod.UID)
		if n := seriesCount(t, reg); n != 0 {
			t.Fatalf("after RemovePod %d series remain, want 0", n)
		}
	})
}

func TestContainersWithoutProbesAreReadyAndStarted(t *testing.T) {
	m, _, _ := testManager(t, newFakeRuntime())
	pod := testPod("u1", v1.Container{})
	m.UpdatePod(pod, "10.0.0.1", []RunningContainer{{Name: "web", ID: "c1", StartedAt: time.Now()}})
	c := &pod.Spec.Containers[0]
	if !m.Ready(pod.UID, c, "c1") || !m.Started(pod.UID, c, "c1") {
		t.Fatal("a container without probes must be ready and started")
	}
	if _, failed := m.LivenessFailed(pod.UID, "c1"); failed {
		t.Fatal("a container without probes failed liveness")
	}
}

func TestSidecarInitContainersAreProbedAndOthersNot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := newFakeRuntime()
		m, _, _ := testManager(t, rt)
		always := v1.ContainerRestartPolicyAlways
		pod := testPod("u1", v1.Container{})
		pod.Spec.InitContainers = []v1.Container{
			{Name: "setup", ReadinessProbe: execProbe("setup-ready")},
			{Name: "proxy", RestartPolicy: &always, ReadinessProbe: execProbe("proxy-ready")},
		}
		m.UpdatePod(pod, "10.0.0.1", []RunningContainer{
			{Name: "setup", ID: "i1", StartedAt: time.Now()},
			{Name: "proxy", ID: "i2", StartedAt: time.Now()},
		})
		synctest.Wait()
		if len(rt.callTimes("i1", "setup-ready")) != 0 {
			t.Fatal("a plain init container was probed")
		}
		if !m.Ready(pod.UID, &pod.Spec.InitContainers[1], "i2") {
			t.Fatal("the sidecar's readiness probe did not run")
		}
	})
}

// probeCount reads prober_probe_total for the pod's container web from
// what the registry would serve a scrape.
func probeCount(t *testing.T, reg *prometheus.Registry, kind ProbeType, result Result, pod *v1.Pod) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"probe_type": string(kind), "result": string(result), "container": "web",
		"pod": pod.Name, "namespace": pod.Namespace, "pod_uid": string(pod.UID),
	}
	for _, f := range families {
		if f.GetName() != "prober_probe_total" {
			continue
		}
	next:
		for _, metric := range f.GetMetric() {
			if len(metric.GetLabel()) != len(want) {
				continue
			}
			for _, l := range metric.GetLabel() {
				if want[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			return metric.GetCounter().GetValue()
		}
	}
	return 0
}

// seriesCount is the number of prober_probe_total series a scrape shows.
func seriesCount(t *testing.T, reg *prometheus.Registry) int {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "prober_probe_total" {
			return len(f.GetMetric())
		}
	}
	return 0
}
