package node

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	now0    = metav1.NewTime(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	now1    = metav1.NewTime(now0.Add(10 * time.Second))
	errTest = errors.New("runtime Status: connection refused")
)

// want is one condition's expected status, reason and a part of its message.
type want struct {
	status  v1.ConditionStatus
	reason  string
	message string
}

func TestConditions(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Observations)
		ready Readiness
		want  map[v1.NodeConditionType]want
	}{
		{
			name: "healthy",
			want: map[v1.NodeConditionType]want{
				v1.NodeReady:              {v1.ConditionTrue, "KubeletReady", "minikubelet is posting ready status"},
				v1.NodeMemoryPressure:     {v1.ConditionFalse, "KubeletHasSufficientMemory", "sufficient memory"},
				v1.NodeDiskPressure:       {v1.ConditionFalse, "KubeletHasNoDiskPressure", "no disk pressure"},
				v1.NodePIDPressure:        {v1.ConditionFalse, "KubeletHasSufficientPID", "sufficient PID"},
				v1.NodeNetworkUnavailable: {v1.ConditionFalse, ReasonNetworkReady, "pod network is ready"},
			},
		},
		{
			name:  "runtime down",
			ready: Readiness{Runtime: errTest},
			want: map[v1.NodeConditionType]want{
				v1.NodeReady:              {v1.ConditionFalse, "KubeletNotReady", "container runtime not ready: runtime Status: connection refused"},
				v1.NodeNetworkUnavailable: {v1.ConditionFalse, ReasonNetworkReady, ""},
			},
		},
		{
			name:  "network not ready: not Ready, and NetworkUnavailable",
			ready: Readiness{Network: errors.New("NetworkPluginNotReady: cni config uninitialized")},
			want: map[v1.NodeConditionType]want{
				v1.NodeReady:              {v1.ConditionFalse, "KubeletNotReady", "container runtime network not ready: NetworkPluginNotReady"},
				v1.NodeNetworkUnavailable: {v1.ConditionTrue, ReasonNetworkNotReady, "cni config uninitialized"},
			},
		},
		{
			name: "memory under 100Mi available",
			edit: func(o *Observations) { o.MemoryAvailable = 99 << 20 },
			want: map[v1.NodeConditionType]want{
				v1.NodeMemoryPressure: {v1.ConditionTrue, "KubeletHasInsufficientMemory", "99Mi available"},
				v1.NodeReady:          {v1.ConditionTrue, "KubeletReady", ""},
			},
		},
		{
			name: "memory at 100Mi is enough",
			edit: func(o *Observations) { o.MemoryAvailable = 100 << 20 },
			want: map[v1.NodeConditionType]want{v1.NodeMemoryPressure: {v1.ConditionFalse, "KubeletHasSufficientMemory", ""}},
		},
		{
			name: "nodefs under 10% available",
			edit: func(o *Observations) { o.FSAvailable = 9 << 30 },
			want: map[v1.NodeConditionType]want{v1.NodeDiskPressure: {v1.ConditionTrue, "KubeletHasDiskPressure", "9Gi of 100Gi available"}},
		},
		{
			name: "inodes under 5% free",
			edit: func(o *Observations) { o.InodesFree = 49 },
			want: map[v1.NodeConditionType]want{v1.NodeDiskPressure: {v1.ConditionTrue, "KubeletHasDiskPressure", "49 of 1000 inodes free"}},
		},
		{
			name: "file system without inode counts",
			edit: func(o *Observations) { o.Inodes, o.InodesFree = 0, 0 },
			want: map[v1.NodeConditionType]want{v1.NodeDiskPressure: {v1.ConditionFalse, "KubeletHasNoDiskPressure", ""}},
		},
		{
			name: "PIDs under 10% free",
			edit: func(o *Observations) { o.PIDMax, o.Processes = 1000, 901 },
			want: map[v1.NodeConditionType]want{v1.NodePIDPressure: {v1.ConditionTrue, "KubeletHasInsufficientPID", "901 processes of at most 1000"}},
		},
		{
			name: "nothing readable: Unknown, not guessed",
			edit: func(o *Observations) { *o = Observations{} },
			want: map[v1.NodeConditionType]want{
				v1.NodeMemoryPressure: {v1.ConditionUnknown, ReasonNotObserved, "/proc/meminfo"},
				v1.NodeDiskPressure:   {v1.ConditionUnknown, ReasonNotObserved, "root directory"},
				v1.NodePIDPressure:    {v1.ConditionUnknown, ReasonNotObserved, "pid_max"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := testObs
			if tt.edit != nil {
				tt.edit(&obs)
			}
			conds := Conditions(obs, tt.ready, nil, now0)
			if len(conds) != 5 {
				t.Fatalf("%d conditions, want 5: %v", len(conds), conds)
			}
			for typ, w := range tt.want {
				c := find(conds, typ)
				if c == nil {
					t.Fatalf("no %s condition", typ)
				}
				if c.Status != w.status || c.Reason != w.reason || !strings.Contains(c.Message, w.message) {
					t.Errorf("%s = %s %s %q, want %s %s containing %q", typ, c.Status, c.Reason, c.Message, w.status, w.reason, w.message)
				}
			}
		})
	}
}

func TestConditionsTransitionTimes(t *testing.T) {
	first := Conditions(testObs, Readiness{}, nil, now0)
	for _, c := range first {
		if !c.LastTransitionTime.Equal(&now0) || !c.LastHeartbeatTime.Equal(&now0) {
			t.Errorf("%s: first report's times %v/%v, want now", c.Type, c.LastTransitionTime, c.LastHeartbeatTime)
		}
	}
	second := Conditions(testObs, Readiness{Network: errTest}, first, now1)
	for _, c := range second {
		changed := c.Type == v1.NodeReady || c.Type == v1.NodeNetworkUnavailable
		wantTransition := now0
		if changed {
			wantTransition = now1
		}
		if !c.LastTransitionTime.Equal(&wantTransition) {
			t.Errorf("%s (changed=%v): transition %v, want %v", c.Type, changed, c.LastTransitionTime, wantTransition)
		}
		if !c.LastHeartbeatTime.Equal(&now1) {
			t.Errorf("%s: heartbeat %v, want %v", c.Type, c.LastHeartbeatTime, now1)
		}
	}
}

func TestReadyMessageIsBoundedWhateverTheRuntimeSays(t *testing.T) {
	huge := errors.New(strings.Repeat("é", 10000))
	c := readyCondition(Readiness{Runtime: huge})
	if c.Status != v1.ConditionFalse || len(c.Message) > maxConditionMessage+len("…") || !utf8.ValidString(c.Message) {
		t.Errorf("Ready %s with a %d-byte message (valid UTF-8 %v); want False and at most %d bytes", c.Status, len(c.Message), utf8.ValidString(c.Message), maxConditionMessage)
	}
}
