package translate

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// goldenContainer is a container as a manifest would give it, defaults
// filled in.
func goldenContainer() *v1.Container {
	return &v1.Container{
		Name: "app", Image: "registry.example/app:1",
		Command: []string{"/serve"}, Args: []string{"--port=8080"},
		Ports: []v1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: v1.ProtocolTCP}},
		Env:   []v1.EnvVar{{Name: "MODE", Value: "production"}},
		Resources: v1.ResourceRequirements{
			Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse("100m")},
			Limits:   v1.ResourceList{v1.ResourceMemory: resource.MustParse("64Mi")},
		},
		VolumeMounts:             []v1.VolumeMount{{Name: "data", MountPath: "/data"}},
		TerminationMessagePath:   "/dev/termination-log",
		TerminationMessagePolicy: v1.TerminationMessageReadFile,
		ImagePullPolicy:          v1.PullIfNotPresent,
	}
}

// A running container whose recorded hash differs from its spec's is
// restarted, so a change to the hash's input or encoding (another hash
// function, another serialisation, a k8s.io/api upgrade that changes how
// a container marshals) would restart every container on the node when
// the agent is upgraded. The golden value pins it; change it only
// knowingly, in a release that says so.
func TestContainerHashIsStable(t *testing.T) {
	const golden = "bf0e8ff3"
	if got := ContainerHash(goldenContainer()); got != golden {
		t.Fatalf("ContainerHash = %s, want %s: every running container would be restarted on upgrade", got, golden)
	}
}

func TestContainerHashFollowsTheSpec(t *testing.T) {
	base := ContainerHash(goldenContainer())
	if again := ContainerHash(goldenContainer()); again != base {
		t.Fatalf("two hashes of equal specs differ: %s, %s", base, again)
	}
	changes := map[string]func(*v1.Container){
		"image":   func(c *v1.Container) { c.Image = "registry.example/app:2" },
		"command": func(c *v1.Container) { c.Command = []string{"/serve", "-v"} },
		"env":     func(c *v1.Container) { c.Env[0].Value = "debug" },
		"limit":   func(c *v1.Container) { c.Resources.Limits[v1.ResourceMemory] = resource.MustParse("128Mi") },
		"mount":   func(c *v1.Container) { c.VolumeMounts[0].ReadOnly = true },
	}
	for name, change := range changes {
		c := goldenContainer()
		change(c)
		if ContainerHash(c) == base {
			t.Errorf("changing the %s left the hash as it was: the running container would be kept", name)
		}
	}
}
