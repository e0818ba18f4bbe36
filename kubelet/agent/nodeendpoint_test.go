package agent

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	certutil "k8s.io/client-go/util/cert"
)

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

func TestClientCAsComeFromTheFlagOrTheKubeconfig(t *testing.T) {
	dir := t.TempDir()
	caPEM, _, err := certutil.GenerateSelfSignedCertKey("cluster-ca", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.crt")
	os.WriteFile(caFile, caPEM, 0o644)
	kubeconfig := func(name, caLine string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:16443
`+caLine+`
users:
- name: u
  user:
    token: x
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
`), 0o600)
		return path
	}
	withCA := kubeconfig("with-ca", "    certificate-authority-data: "+base64.StdEncoding.EncodeToString(caPEM))
	withoutCA := kubeconfig("without-ca", "    insecure-skip-tls-verify: true")

	for name, tt := range map[string]struct {
		kubeconfig, flag, wantErr string
	}{
		"the kubeconfig's CA":    {kubeconfig: withCA},
		"--client-ca-file":       {kubeconfig: withoutCA, flag: caFile},
		"no CA anywhere":         {kubeconfig: withoutCA, wantErr: "names no CA for the node endpoint"},
		"a flag of no PEM":       {kubeconfig: withCA, flag: withoutCA, wantErr: "no PEM certificate"},
		"a flag of nothing here": {kubeconfig: withCA, flag: filepath.Join(dir, "missing"), wantErr: "reading the client CA"},
	} {
		opts := DefaultOptions()
		opts.Kubeconfig, opts.ClientCAFile = tt.kubeconfig, tt.flag
		pool, err := clientCAs(opts)
		switch {
		case tt.wantErr == "" && (err != nil || pool == nil):
			t.Errorf("%s: %v", name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one with %q", name, err, tt.wantErr)
		}
	}
}
