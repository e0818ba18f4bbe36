package translate

import (
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func cmKey(name, key string, optional bool) *v1.EnvVarSource {
	return &v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{
		LocalObjectReference: v1.LocalObjectReference{Name: name}, Key: key, Optional: optionalPtr(optional)}}
}

func secretKey(name, key string, optional bool) *v1.EnvVarSource {
	return &v1.EnvVarSource{SecretKeyRef: &v1.SecretKeySelector{
		LocalObjectReference: v1.LocalObjectReference{Name: name}, Key: key, Optional: optionalPtr(optional)}}
}

func fromConfigMap(name, prefix string, optional bool) v1.EnvFromSource {
	return v1.EnvFromSource{Prefix: prefix, ConfigMapRef: &v1.ConfigMapEnvSource{
		LocalObjectReference: v1.LocalObjectReference{Name: name}, Optional: optionalPtr(optional)}}
}

func fromSecret(name, prefix string, optional bool) v1.EnvFromSource {
	return v1.EnvFromSource{Prefix: prefix, SecretRef: &v1.SecretEnvSource{
		LocalObjectReference: v1.LocalObjectReference{Name: name}, Optional: optionalPtr(optional)}}
}

// optionalPtr leaves optional unset when false, as most specs do.
func optionalPtr(optional bool) *bool {
	if !optional {
		return nil
	}
	return ptr(true)
}

// envTestObjects: ConfigMap cfg and Secret creds exist; nothing else.
func envTestObjects() EnvObjects {
	return EnvObjects{
		ConfigMaps: map[string]*v1.ConfigMap{"cfg": {Data: map[string]string{"mode": "fast", "level": "3"}}},
		Secrets:    map[string]*v1.Secret{"creds": {Data: map[string][]byte{"user": []byte("alice"), "pass": []byte("s3cret")}}},
	}
}

func TestContainerEnvFromObjects(t *testing.T) {
	tests := []struct {
		name    string
		env     []v1.EnvVar
		envFrom []v1.EnvFromSource
		objects func(*EnvObjects)
		want    []*runtimeapi.KeyValue
		wantErr string
		skipped []string
	}{
		{
			name: "configMapKeyRef and secretKeyRef give the values",
			env:  []v1.EnvVar{{Name: "MODE", ValueFrom: cmKey("cfg", "mode", false)}, {Name: "USER", ValueFrom: secretKey("creds", "user", false)}},
			want: envs("MODE", "fast", "USER", "alice"),
		},
		{
			name:    "envFrom comes first, keys in order, with the prefix; then env, which replaces a name in place",
			envFrom: []v1.EnvFromSource{fromConfigMap("cfg", "CFG_", false), fromSecret("creds", "", false)},
			env:     []v1.EnvVar{{Name: "X", Value: "$(CFG_mode)-$(user)"}, {Name: "CFG_level", Value: "9"}},
			want:    envs("CFG_level", "9", "CFG_mode", "fast", "pass", "s3cret", "user", "alice", "X", "fast-alice"),
		},
		{
			name:    "a later envFrom replaces an earlier one's key",
			envFrom: []v1.EnvFromSource{fromConfigMap("cfg", "", false), fromConfigMap("other", "", false)},
			objects: func(o *EnvObjects) { o.ConfigMaps["other"] = &v1.ConfigMap{Data: map[string]string{"mode": "slow"}} },
			want:    envs("level", "3", "mode", "slow"),
		},
		{
			name:    "a missing optional ConfigMap or Secret gives nothing",
			envFrom: []v1.EnvFromSource{fromConfigMap("gone", "", true), fromSecret("gone", "", true)},
			env:     []v1.EnvVar{{Name: "A", ValueFrom: cmKey("gone", "k", true)}, {Name: "B", ValueFrom: secretKey("gone", "k", true)}, {Name: "C", Value: "c"}},
			want:    envs("C", "c"),
		},
		{
			name:    "a missing optional key sets nothing, so an envFrom value of that name stays",
			envFrom: []v1.EnvFromSource{fromConfigMap("cfg", "", false)},
			env:     []v1.EnvVar{{Name: "mode", ValueFrom: cmKey("cfg", "nope", true)}, {Name: "P", ValueFrom: secretKey("creds", "nope", true)}},
			want:    envs("level", "3", "mode", "fast"),
		},
		{
			name:    "a missing ConfigMap: the error names the container, the field, the object and the fixes",
			env:     []v1.EnvVar{{Name: "OK", Value: "1"}, {Name: "MODE", ValueFrom: cmKey("gone", "mode", false)}},
			wantErr: "container app env[1] (MODE): configMapKeyRef: ConfigMap default/gone not found; create it, or set configMapKeyRef.optional: true",
		},
		{
			name:    "a missing Secret key",
			env:     []v1.EnvVar{{Name: "PASS", ValueFrom: secretKey("creds", "password", false)}},
			wantErr: `container app env[0] (PASS): secretKeyRef: Secret default/creds has no key "password"; add the key, fix secretKeyRef.key, or set secretKeyRef.optional: true`,
		},
		{
			name:    "a missing envFrom Secret",
			envFrom: []v1.EnvFromSource{fromConfigMap("cfg", "", false), fromSecret("gone", "", false)},
			wantErr: "container app envFrom[1]: secretRef: Secret default/gone not found; create it, or set secretRef.optional: true",
		},
		{
			name:    "keys that make no variable name are skipped and reported",
			envFrom: []v1.EnvFromSource{fromConfigMap("odd", "", false)},
			objects: func(o *EnvObjects) {
				o.ConfigMaps["odd"] = &v1.ConfigMap{Data: map[string]string{"a=b": "x", "ok": "y", "": "z"}}
			},
			want:    envs("ok", "y"),
			skipped: []string{"", "a=b"},
		},
		{
			name: "a value wins over valueFrom, as the kubelet reads it",
			env:  []v1.EnvVar{{Name: "V", Value: "plain", ValueFrom: cmKey("gone", "k", false)}},
			want: envs("V", "plain"),
		},
		{
			name:    "fileKeyRef stays refused",
			env:     []v1.EnvVar{{Name: "F", ValueFrom: &v1.EnvVarSource{FileKeyRef: &v1.FileKeySelector{Key: "k"}}}},
			wantErr: "container app env[0] (F): fileKeyRef is not supported; set the value with env[].value",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			c := &pod.Spec.Containers[0]
			c.Env, c.EnvFrom = tt.env, tt.envFrom
			objects := envTestObjects()
			if tt.objects != nil {
				tt.objects(&objects)
			}
			env, err := ContainerEnv(testNode(), pod, c, nil, objects)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v\nwant %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertEnv(t, env.KeyValues(), tt.want)
			if !slices.Equal(env.Skipped(), tt.skipped) {
				t.Errorf("skipped %q, want %q", env.Skipped(), tt.skipped)
			}
		})
	}
}

func TestContainerEnvFieldRefs(t *testing.T) {
	pod := testPod()
	pod.Labels = map[string]string{"app": "web"}
	pod.Annotations = map[string]string{"example.com/team": "blue"}
	node := testNode()
	node.HostIPs = []string{"192.168.1.5", "fd00::5"}
	c := &pod.Spec.Containers[0]
	c.Env = []v1.EnvVar{
		{Name: "APP", ValueFrom: fieldRef("metadata.labels['app']")},
		{Name: "NOLABEL", ValueFrom: fieldRef("metadata.labels['nope']")},
		{Name: "TEAM", ValueFrom: fieldRef("metadata.annotations['example.com/team']")},
		{Name: "HOST_IP", ValueFrom: fieldRef("status.hostIP")},
		{Name: "HOST_IPS", ValueFrom: fieldRef("status.hostIPs")},
		{Name: "POD_IPS", ValueFrom: fieldRef("status.podIPs")},
	}
	env, err := ContainerEnv(node, pod, c, []string{"10.88.0.7", "fd01::7"}, EnvObjects{})
	if err != nil {
		t.Fatal(err)
	}
	assertEnv(t, env.KeyValues(), envs("APP", "web", "NOLABEL", "", "TEAM", "blue", "HOST_IP", "192.168.1.5",
		"HOST_IPS", "192.168.1.5,fd00::5", "POD_IPS", "10.88.0.7,fd01::7"))

	// On the host's network the pod's IPs are the node's (the suite's
	// "should provide host IP and pod IP as an env var if pod uses host
	// network"): the sandbox has none of its own.
	hostNet := pod.DeepCopy()
	hostNet.Spec.HostNetwork = true
	c = &hostNet.Spec.Containers[0]
	c.Env = []v1.EnvVar{{Name: "POD_IP", ValueFrom: fieldRef("status.podIP")}, {Name: "POD_IPS", ValueFrom: fieldRef("status.podIPs")}}
	if env, err = ContainerEnv(node, hostNet, c, nil, EnvObjects{}); err != nil {
		t.Fatal(err)
	}
	assertEnv(t, env.KeyValues(), envs("POD_IP", "192.168.1.5", "POD_IPS", "192.168.1.5,fd00::5"))
	c = &pod.Spec.Containers[0]

	for path, wantErr := range map[string]string{
		"status.hostIP":         `fieldRef "status.hostIP": this node does not know its IP (no interface holds the default route)`,
		"spec.nodeName['x']":    `fieldRef "spec.nodeName['x']" is not supported: only metadata.labels and metadata.annotations take a ['key']`,
		"status.phase":          `fieldRef "status.phase" is not supported`,
		"metadata.labels['app'": `fieldRef "metadata.labels['app'" is not supported`,
	} {
		c.Env = []v1.EnvVar{{Name: "X", ValueFrom: fieldRef(path)}}
		_, err := ContainerEnv(testNode(), pod, c, nil, EnvObjects{})
		if err == nil || !strings.HasSuffix(err.Error(), wantErr) {
			t.Errorf("%s: error %v, want %q", path, err, wantErr)
		}
	}
}

func TestEnvObjectNames(t *testing.T) {
	c := &v1.Container{
		EnvFrom: []v1.EnvFromSource{fromConfigMap("a", "", false), fromSecret("s", "P_", true), fromConfigMap("a", "X_", false)},
		Env: []v1.EnvVar{
			{Name: "B", ValueFrom: cmKey("b", "k", false)}, {Name: "A", ValueFrom: cmKey("a", "k", false)},
			{Name: "T", ValueFrom: secretKey("t", "k", true)}, {Name: "F", ValueFrom: fieldRef("metadata.name")},
			{Name: "V", Value: "set", ValueFrom: cmKey("unread", "k", false)},
		},
	}
	configMaps, secrets := EnvObjectNames(c)
	if !slices.Equal(configMaps, []string{"a", "b"}) || !slices.Equal(secrets, []string{"s", "t"}) {
		t.Fatalf("EnvObjectNames = %q, %q; want [a b], [s t]", configMaps, secrets)
	}
}

func assertEnv(t *testing.T, got, want []*runtimeapi.KeyValue) {
	t.Helper()
	format := func(kvs []*runtimeapi.KeyValue) string {
		var parts []string
		for _, kv := range kvs {
			parts = append(parts, kv.Key+"="+string(kv.Value))
		}
		return strings.Join(parts, " ")
	}
	if format(got) != format(want) {
		t.Errorf("env\ngot  %s\nwant %s", format(got), format(want))
	}
}

// A pod cannot make the agent build an environment no process could start
// with: many envFrom copies of a large ConfigMap, or references that
// multiply a large value, stop at MaxEnvBytes with the field named.
func TestEnvironmentIsBounded(t *testing.T) {
	big := strings.Repeat("x", 600<<10)
	objects := EnvObjects{ConfigMaps: map[string]*v1.ConfigMap{"big": {Data: map[string]string{"V": big}}}}
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}}
	copies := &v1.Container{Name: "app"}
	for _, prefix := range []string{"A_", "B_", "C_"} {
		copies.EnvFrom = append(copies.EnvFrom, v1.EnvFromSource{Prefix: prefix, ConfigMapRef: &v1.ConfigMapEnvSource{LocalObjectReference: v1.LocalObjectReference{Name: "big"}}})
	}
	if _, err := ContainerEnv(Node{}, pod, copies, nil, objects); err == nil || !strings.Contains(err.Error(), "container app envFrom[1]: the environment is over 1024 KiB") {
		t.Errorf("three envFrom copies of 600 KiB: %v", err)
	}
	refs := &v1.Container{Name: "app", EnvFrom: copies.EnvFrom[:1],
		Env: []v1.EnvVar{{Name: "MANY", Value: strings.Repeat("$(A_V)", 10000)}}}
	if _, err := ContainerEnv(Node{}, pod, refs, nil, objects); err == nil || !strings.Contains(err.Error(), "env[0] (MANY): the environment is over") {
		t.Errorf("10000 references to a 600 KiB value: %v", err)
	}
}
