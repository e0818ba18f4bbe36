package staticpods

import (
	"slices"
	"strings"
	"testing"
)

func TestRestrictAPIServerOnlyFields(t *testing.T) {
	container := "  containers:\n  - {name: a, image: x}\n"
	tests := []struct {
		name string
		spec string
		want []string
	}{{
		name: "configMap volume",
		spec: "  volumes:\n  - {name: c, configMap: {name: settings}}\n" + container,
		want: []string{`bad.yaml: spec.volumes[0].configMap: static pods cannot use configMap volumes (the API server does not let a static pod's mirror refer to ConfigMaps); use hostPath or bake the file into the image`},
	}, {
		name: "secret, projected and claim volumes; downwardAPI is fine",
		spec: "  volumes:\n  - {name: s, secret: {secretName: x}}\n  - {name: p, projected: {sources: []}}\n  - {name: c, persistentVolumeClaim: {claimName: x}}\n  - {name: d, downwardAPI: {}}\n" + container,
		want: []string{
			`bad.yaml: spec.volumes[0].secret: static pods cannot use secret volumes (the API server does not let a static pod's mirror refer to Secrets); use hostPath or bake the file into the image`,
			`bad.yaml: spec.volumes[1].projected: static pods cannot use projected volumes (their sources are read from the API server); use hostPath, downwardAPI, or bake the file into the image`,
			`bad.yaml: spec.volumes[2].persistentVolumeClaim: static pods cannot use persistentVolumeClaim volumes (there is no API server to bind claims); use hostPath`,
		},
	}, {
		name: "other volume types are named",
		spec: "  volumes:\n  - {name: share, nfs: {server: s, path: /x}}\n" + container,
		want: []string{`bad.yaml: spec.volumes[0].nfs: static pods cannot use nfs volumes: only emptyDir, hostPath, downwardAPI and image are supported`},
	}, {
		name: "two types in one volume",
		spec: "  volumes:\n  - {name: both, emptyDir: {}, hostPath: {path: /x}}\n" + container,
		want: []string{`bad.yaml: spec.volumes[0]: a volume has exactly one type, this one has 2 (hostPath, emptyDir); split it into several volumes`},
	}, {
		name: "service account",
		spec: "  serviceAccountName: builder\n  automountServiceAccountToken: true\n" + container,
		want: []string{
			`bad.yaml: spec.serviceAccountName: static pods cannot use a service account (there is no API server to issue its token); remove serviceAccountName`,
			`bad.yaml: spec.automountServiceAccountToken: static pods cannot mount a service account token (there is no API server to issue one); remove it or set it to false`,
		},
	}, {
		name: "ephemeral containers, resource claims, pull secrets",
		spec: "  ephemeralContainers: [{name: dbg, image: x}]\n  resourceClaims: [{name: gpu}]\n  imagePullSecrets: [{name: reg}]\n" + container,
		want: []string{
			`bad.yaml: spec.ephemeralContainers: static pods cannot have ephemeral containers (they are added through the API server); remove them`,
			`bad.yaml: spec.resourceClaims: static pods cannot use resource claims (there is no API server to allocate them); remove them`,
			`bad.yaml: spec.imagePullSecrets: static pods cannot use imagePullSecrets (there is no API server to read Secrets from); configure registry credentials in the container runtime`,
		},
	}, {
		name: "restartPolicy on an app container or restart rules",
		spec: "  initContainers:\n  - {name: side, image: x, restartPolicy: Always}\n  containers:\n  - {name: a, image: x, restartPolicy: Always, restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [1]}}]}\n",
		want: []string{
			`bad.yaml: spec.containers[0].restartPolicy: per-container restartPolicy is not supported yet; remove it (spec.restartPolicy applies to every container)`,
			`bad.yaml: spec.containers[0].restartPolicyRules: container restart rules are not supported yet; remove them`,
		},
	}, {
		name: "env from ConfigMaps and Secrets",
		spec: "  containers:\n  - name: a\n    image: x\n    env: [{name: A, valueFrom: {configMapKeyRef: {name: c, key: k}}}, {name: B, valueFrom: {secretKeyRef: {name: s, key: k}}}]\n    envFrom: [{configMapRef: {name: c}}]\n",
		want: []string{
			`bad.yaml: spec.containers[0].env[0].valueFrom.configMapKeyRef: static pods cannot read ConfigMaps (there is no API server to read them from); set the values with env[].value`,
			`bad.yaml: spec.containers[0].env[1].valueFrom.secretKeyRef: static pods cannot read Secrets (there is no API server to read them from); set the values with env[].value or mount a hostPath file`,
			`bad.yaml: spec.containers[0].envFrom[0].configMapRef: static pods cannot read ConfigMaps (there is no API server to read them from); set the values with env[].value`,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, "bad.yaml", podManifest(plainMeta, tt.spec))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
