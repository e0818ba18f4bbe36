package agent

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
)

// capRuntime fakes the three runtimes' answers to the capability check.
type capRuntime struct {
	driver    runtimeapi.CgroupDriver
	noConfig  bool  // RuntimeConfig is Unimplemented (containerd 1.6)
	eventsErr error // GetContainerEvents ends with this at once; nil: stream stays open
}

func (f *capRuntime) RuntimeName() string    { return "fake" }
func (f *capRuntime) RuntimeVersion() string { return "1.0" }

func (f *capRuntime) Status(context.Context, bool) (*runtimeapi.StatusResponse, error) {
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true}, {Type: runtimeapi.NetworkReady, Status: false},
	}}}, nil
}

func (f *capRuntime) RuntimeConfig(context.Context) (*runtimeapi.RuntimeConfigResponse, error) {
	if f.noConfig {
		return nil, status.Error(codes.Unimplemented, "unknown method RuntimeConfig")
	}
	return &runtimeapi.RuntimeConfigResponse{Linux: &runtimeapi.LinuxRuntimeConfiguration{CgroupDriver: f.driver}}, nil
}

func (f *capRuntime) GetContainerEvents(ctx context.Context, _ chan *runtimeapi.ContainerEventResponse, established func(runtimeapi.RuntimeService_GetContainerEventsClient)) error {
	if f.eventsErr != nil {
		return f.eventsErr
	}
	established(nil)
	<-ctx.Done()
	return nil
}

func TestDetectCgroupDriver(t *testing.T) {
	for _, tc := range []struct {
		name string
		rt   *capRuntime
		want string
	}{
		{"CRI-O or containerd 2 on cgroupfs", &capRuntime{driver: runtimeapi.CgroupDriver_CGROUPFS}, "cgroupfs"},
		{"systemd", &capRuntime{driver: runtimeapi.CgroupDriver_SYSTEMD}, "systemd"},
		{"containerd 1.6 has no RuntimeConfig", &capRuntime{noConfig: true}, "cgroupfs (assumed: the runtime has no RuntimeConfig)"},
	} {
		got, err := detectCgroupDriver(context.Background(), tc.rt)
		if err != nil || got != tc.want {
			t.Errorf("%s: detectCgroupDriver = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestCheckCgroupParent(t *testing.T) {
	for _, tc := range []struct {
		driver, parent string
		wantErr        bool
	}{
		{"cgroupfs", "/minikubelet", false},
		{assumedCgroupfs, "/minikubelet", false},
		{"systemd", "minikubelet.slice", false},
		{"systemd", "", false},
		{"systemd", "/minikubelet", true},
	} {
		err := checkCgroupParent("crio", tc.driver, tc.parent)
		if (err != nil) != tc.wantErr {
			t.Errorf("checkCgroupParent(%s, %q) = %v, want error %v", tc.driver, tc.parent, err, tc.wantErr)
		}
		if err != nil && (!strings.Contains(err.Error(), "--cgroup-parent") || !strings.Contains(err.Error(), ".slice")) {
			t.Errorf("error %q should name the flag and the form it needs", err)
		}
	}
}

func TestProbeEvents(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rt       *capRuntime
		want     bool
		wantNote string
	}{
		{"containerd 2 keeps the stream open", &capRuntime{}, true, ""},
		{"containerd 1.6 or CRI-O without pod events", &capRuntime{eventsErr: fmt.Errorf("fake: %w", cri.ErrEventsUnsupported)}, false, "relisting only"},
		{"stream broken", &capRuntime{eventsErr: fmt.Errorf("connection reset")}, false, "connection reset"},
	} {
		start := time.Now()
		got, note := probeEvents(context.Background(), tc.rt)
		if got != tc.want || !strings.Contains(note, tc.wantNote) {
			t.Errorf("%s: probeEvents = %v, %q; want %v and a note containing %q", tc.name, got, note, tc.want, tc.wantNote)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: probe took %s; it must not hold start-up", tc.name, took)
		}
	}
}

func TestLogCapabilitiesIsOneLineWithEverything(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	rt := &capRuntime{driver: runtimeapi.CgroupDriver_CGROUPFS}
	caps := probeCapabilities(context.Background(), rt, "cgroupfs")
	logCapabilities(log, rt, caps, time.Second)
	line := buf.String()
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("want one line, got %q", line)
	}
	for _, want := range []string{"runtime=fake", "version=1.0", "cgroupDriver=cgroupfs", "events=true", "runtimeReady=true", "networkReady=false", "relistPeriodWithEvents=10s"} {
		if !strings.Contains(line, want) {
			t.Errorf("capability line %q lacks %s", line, want)
		}
	}
}
