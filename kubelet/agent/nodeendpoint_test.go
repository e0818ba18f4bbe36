package agent

import "testing"

func TestLocalPodNameFindsStaticPodsByTheirMirrorName(t *testing.T) {
	runs := func(namespace, name string) bool {
		return namespace == "default" && (name == "web" || name == "api-node-1")
	}
	local := localPodName("node-1", runs)
	for in, want := range map[[2]string]string{
		{"default", "web-node-1"}:     "web",        // a static pod's mirror
		{"default", "api-node-1"}:     "api-node-1", // a pod of that very name
		{"default", "web"}:            "web",
		{"default", "gone-node-1"}:    "gone-node-1", // not here: the handler says so
		{"kube-system", "web-node-1"}: "web-node-1",
		{"default", "web-node-2"}:     "web-node-2",
	} {
		if got := local(in[0], in[1]); got != want {
			t.Errorf("localPodName(%s/%s) = %q, want %q", in[0], in[1], got, want)
		}
	}
}
