package kubelet

import "testing"

func TestSubPathTarget(t *testing.T) {
	got := subPathTarget("/var/lib/minikubelet/pods/u1", "data", "web", 3)
	if want := "/var/lib/minikubelet/pods/u1/volume-subpaths/data/web/3"; got != want {
		t.Errorf("subPathTarget = %q, want %q", got, want)
	}
}
