package staticpods

import "testing"

func TestPlacementHint(t *testing.T) {
	tests := []struct{ key, at, want string }{
		{"image", "spec", "it belongs under spec.containers[*]"},
		{"ports", "spec", "it belongs under spec.containers[*]"},
		{"containers", "", "it belongs under spec"},
		{"containerPort", "spec.containers[0]", "it belongs under spec.containers[*].ports[*]"},
		{"mountPath", "spec.initContainers[2]", "it belongs under spec.initContainers[*].volumeMounts[*]"},
		{"labels", "spec", "it belongs under metadata"},
		{"name", "spec", ""},        // in too many places to guess
		{"nosuchfield", "spec", ""}, // nowhere
	}
	for _, tt := range tests {
		if got := placementHint(tt.key, tt.at); got != tt.want {
			t.Errorf("placementHint(%q, %q) = %q, want %q", tt.key, tt.at, got, tt.want)
		}
	}
}
