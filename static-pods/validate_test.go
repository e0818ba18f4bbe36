package staticpods

import (
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// pod builds a manifest around a spec written in YAML (indented by two).
func podManifest(metadata, spec string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n" + metadata + "spec:\n" + spec
}

const plainMeta = "  name: p\n"

func TestValidationProblems(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     []string
	}{{
		name:     "two app containers declaring the same port",
		manifest: podManifest(plainMeta, "  containers:\n  - {name: web, image: a, ports: [{containerPort: 80}]}\n  - {name: side, image: b, ports: [{containerPort: 80}, {containerPort: 80, protocol: UDP}]}\n"),
		want: []string{`p.yaml: spec.containers[1].ports[0]: containerPort 80/TCP of container "side" is already declared by container "web" ` +
			`(containers in a pod share one network namespace; give one of them another port)`},
	}, {
		name:     "the same port twice in one container, the same host port in two",
		manifest: podManifest(plainMeta, "  containers:\n  - {name: web, image: a, ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 80}]}\n  - {name: side, image: b, ports: [{containerPort: 81, hostPort: 8080}]}\n"),
		want: []string{
			`p.yaml: spec.containers[0].ports[1]: containerPort 80/TCP is declared twice in container "web"`,
			`p.yaml: spec.containers[1].ports[0].hostPort: hostPort 8080/TCP is declared twice in this pod; each host port can be bound once`,
		},
	}, {
		name:     "hooks and probes on a regular init container",
		manifest: podManifest(plainMeta, "  initContainers:\n  - name: i\n    image: x\n    lifecycle: {postStart: {exec: {command: [x]}}}\n    livenessProbe: {exec: {command: [x]}}\n    readinessProbe: {exec: {command: [x]}}\n    startupProbe: {exec: {command: [x]}}\n  containers:\n  - {name: a, image: x}\n"),
		want: []string{
			`p.yaml: spec.initContainers[0].lifecycle: may not be set for init containers without restartPolicy=Always`,
			`p.yaml: spec.initContainers[0].livenessProbe: may not be set for init containers without restartPolicy=Always`,
			`p.yaml: spec.initContainers[0].readinessProbe: may not be set for init containers without restartPolicy=Always`,
			`p.yaml: spec.initContainers[0].startupProbe: may not be set for init containers without restartPolicy=Always`,
		},
	}, {
		name:     "a newline in hostnameOverride, hostNetwork beside it, a bad hostname",
		manifest: podManifest(plainMeta, "  hostNetwork: true\n  hostname: Web_1\n  hostnameOverride: \"x\\n10.0.0.9 kubernetes.default\"\n  containers:\n  - {name: a, image: x}\n"),
		want: []string{
			`p.yaml: spec.hostname: "Web_1" is not a valid hostname: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			`p.yaml: spec.hostnameOverride: "x\n10.0.0.9 kubernetes.default" is not a valid hostname override: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			`p.yaml: spec.hostnameOverride: a host-network pod has the node's hostname; remove hostnameOverride or hostNetwork`,
		},
	}, {
		name:     "no containers, no name",
		manifest: "apiVersion: v1\nkind: Pod\nmetadata: {}\nspec: {}\n",
		want: []string{
			`p.yaml: metadata.name: is required (every pod needs a name)`,
			`p.yaml: spec.containers: is required (a pod needs at least one container)`,
		},
	}, {
		name:     "container names unique across init and app, image required",
		manifest: podManifest(plainMeta, "  initContainers:\n  - {name: a, image: x}\n  containers:\n  - {name: a}\n"),
		want: []string{
			`p.yaml: spec.containers[0].name: container name "a" is already used by spec.initContainers[0]; container names must be unique across initContainers and containers`,
			`p.yaml: spec.containers[0].image: is required (the image to run, e.g. "nginx:1.27")`,
		},
	}, {
		name:     "volumes unique and mounts must refer to them",
		manifest: podManifest(plainMeta, "  volumes:\n  - {name: data, emptyDir: {}}\n  - {name: data, emptyDir: {}}\n  containers:\n  - name: a\n    image: x\n    volumeMounts: [{name: date, mountPath: /d}]\n"),
		want: []string{
			`p.yaml: spec.volumes[1].name: volume name "data" is used twice; volume names must be unique in a pod`,
			`p.yaml: spec.containers[0].volumeMounts[0].name: no volume named "date" in spec.volumes (declare it there or fix the name)`,
		},
	}, {
		name:     "bad names",
		manifest: podManifest("  name: My_Pod\n  namespace: Prod\n", "  containers:\n  - {name: Web, image: x}\n"),
		want: []string{
			`p.yaml: metadata.name: "My_Pod" is not a valid pod name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			`p.yaml: metadata.namespace: "Prod" is not a valid namespace: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			`p.yaml: spec.containers[0].name: "Web" is not a valid container name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
		},
	}, {
		name:     "restart policy, ports and env names",
		manifest: podManifest(plainMeta, "  restartPolicy: Sometimes\n  containers:\n  - name: a\n    image: x\n    ports: [{containerPort: 70000}, {containerPort: 81, protocol: tcp}]\n    env: [{name: \"A=B\", value: v}, {name: \"\"}]\n"),
		want: []string{
			`p.yaml: spec.containers[0].ports[0].containerPort: must be between 1 and 65535`,
			`p.yaml: spec.containers[0].ports[1].protocol: "tcp" is not supported (use one of "TCP", "UDP", "SCTP")`,
			`p.yaml: spec.containers[0].env[0].name: "A=B" is not a valid environment variable name: a valid environment variable name must consist only of printable ASCII characters other than '='`,
			`p.yaml: spec.containers[0].env[1].name: is required (every environment variable needs a name)`,
			`p.yaml: spec.restartPolicy: "Sometimes" is not supported (use one of "Always", "OnFailure", "Never")`,
		},
	}, {
		name:     "probes and resources",
		manifest: podManifest(plainMeta, "  containers:\n  - name: a\n    image: x\n    livenessProbe: {successThreshold: 2, periodSeconds: -1}\n    resources: {limits: {cpu: 1}, requests: {cpu: 2}}\n"),
		want: []string{
			`p.yaml: spec.containers[0].livenessProbe: must have exactly one of exec, httpGet, tcpSocket or grpc`,
			`p.yaml: spec.containers[0].livenessProbe.periodSeconds: must not be negative`,
			`p.yaml: spec.containers[0].livenessProbe.successThreshold: must be 1 for liveness and startup probes`,
			`p.yaml: spec.containers[0].resources.requests[cpu]: must not be above the limit 1`,
		},
	}, {
		name: "image volumes: a reference, a known pull policy, a bounded length",
		manifest: podManifest(plainMeta, "  volumes:\n  - {name: a, image: {pullPolicy: Always}}\n  - {name: b, image: {reference: x, pullPolicy: Sometimes}}\n"+
			"  - {name: c, image: {reference: \"x \"}}\n  - {name: d, image: {reference: "+strings.Repeat("r", 1025)+"}}\n  containers:\n  - {name: a, image: x}\n"),
		want: []string{
			`p.yaml: spec.volumes[0].image.reference: is required (the image whose files the volume holds, e.g. "registry.example/data:1.0")`,
			`p.yaml: spec.volumes[1].image.pullPolicy: "Sometimes" is not supported (use one of "Always", "IfNotPresent", "Never")`,
			`p.yaml: spec.volumes[2].image.reference: must not contain spaces or control characters; give the image's name, e.g. "registry.example/data:1.0"`,
			`p.yaml: spec.volumes[3].image.reference: is 1025 characters long, more than the 1024 an image reference may have; give the image's name, tag or digest`,
		},
	}, {
		name: "subPathExpr: not with subPath, not absolute, no ..",
		manifest: podManifest(plainMeta, "  volumes:\n  - {name: d, emptyDir: {}}\n  containers:\n  - name: a\n    image: x\n    volumeMounts:\n"+
			"    - {name: d, mountPath: /a, subPath: a, subPathExpr: $(POD)}\n"+
			"    - {name: d, mountPath: /b, subPathExpr: /$(POD)}\n"+
			"    - {name: d, mountPath: /c, subPathExpr: $(POD)/../..}\n"+
			"    - {name: d, mountPath: /e, subPath: ../e}\n"),
		want: []string{
			`p.yaml: spec.containers[0].volumeMounts[0].subPathExpr: subPath and subPathExpr are mutually exclusive: keep one of them`,
			`p.yaml: spec.containers[0].volumeMounts[1].subPathExpr: must be a relative path inside the volume, without ".."`,
			`p.yaml: spec.containers[0].volumeMounts[2].subPathExpr: must be a relative path inside the volume, without ".."`,
			`p.yaml: spec.containers[0].volumeMounts[3].subPath: must be a relative path inside the volume, without ".."`,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, "p.yaml", tt.manifest)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestValidatePodReturnsStructuredErrors(t *testing.T) {
	pod := &v1.Pod{Spec: v1.PodSpec{Containers: []v1.Container{{Name: "a", Image: "x"}, {Name: "a", Image: "y"}}}}
	pod.Name = "p"
	SetDefaults(pod)
	errs := ValidatePod(pod)
	if len(errs) != 1 || errs[0].Type != field.ErrorTypeDuplicate || errs[0].Field != "spec.containers[1].name" {
		t.Fatalf("ValidatePod = %v, want one Duplicate at spec.containers[1].name", errs)
	}
}

func TestValidPodsPass(t *testing.T) {
	manifests := []string{
		podManifest(plainMeta, "  containers:\n  - {name: a, image: x, ports: [{containerPort: 80}, {containerPort: 80, protocol: UDP}]}\n  - {name: b, image: z, ports: [{containerPort: 81}]}\n"),
		podManifest(plainMeta, "  volumes:\n  - {name: d, emptyDir: {medium: Memory}}\n  - {name: h, hostPath: {path: /srv, type: Directory}}\n  containers:\n  - name: a\n    image: x\n    volumeMounts: [{name: d, mountPath: /d}, {name: h, mountPath: /h, subPath: sub}]\n    readinessProbe: {httpGet: {port: http}}\n    ports: [{name: http, containerPort: 8080}]\n    env: [{name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]\n"),
		// An image volume, mounted whole and at a sub-path.
		podManifest(plainMeta, "  volumes:\n  - {name: i, image: {reference: registry.example/data:1.0}}\n  containers:\n  - name: a\n    image: x\n    volumeMounts: [{name: i, mountPath: /i}, {name: i, mountPath: /j, subPath: etc}]\n"),
		podManifest(plainMeta, "  volumes:\n  - {name: d, emptyDir: {}}\n  containers:\n  - name: a\n    image: x\n    env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n    volumeMounts: [{name: d, mountPath: /d, subPathExpr: logs/$(POD)}, {name: d, mountPath: /e, subPath: a..b}]\n"),
		// A sidecar, with the hooks and probes only a sidecar may have,
		// under a pod restartPolicy of Never (a Job's).
		podManifest(plainMeta, "  initContainers:\n  - name: log\n    image: x\n    restartPolicy: Always\n    startupProbe: {exec: {command: [test, -f, /ready]}}\n    readinessProbe: {tcpSocket: {port: 9}}\n    livenessProbe: {httpGet: {port: 9}}\n    lifecycle: {preStop: {exec: {command: [sleep, '1']}}}\n  containers:\n  - {name: a, image: x}\n  restartPolicy: Never\n"),
		podManifest("  name: p\n  labels: {app: web}\n", "  initContainers:\n  - {name: init, image: x, restartPolicy: null, ports: [{containerPort: 1, hostPort: 9}]}\n  - {name: init2, image: x, ports: [{containerPort: 1, hostPort: 9}]}\n  containers:\n  - {name: a, image: x}\n  restartPolicy: OnFailure\n  automountServiceAccountToken: false\n"),
	}
	for i, manifest := range manifests {
		if got := problemsOf(t, "p.yaml", manifest); got != nil {
			t.Errorf("manifest %d: unexpected problems:\n%s", i, strings.Join(got, "\n"))
		}
	}
}
