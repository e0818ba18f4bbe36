package agent

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	certutil "k8s.io/client-go/util/cert"

	"github.com/minikubelet/minikubelet/kubelet"
)

// TestResolvePodKeepsSourcesApart: the API server asks for a pod by its
// cluster name; a static pod answers only to its mirror's name
// <name>-<node>, and a name a static pod and an API pod share answers for
// neither, so a user who may create pods cannot reach a static pod by
// naming theirs after it.
func TestResolvePodKeepsSourcesApart(t *testing.T) {
	pods := map[[2]string][]string{
		{"default", "web"}:        {kubelet.SourceFile},                    // static web, mirror web-node-1
		{"default", "api"}:        {kubelet.SourceAPI},                     // a scheduled pod
		{"default", "both"}:       {kubelet.SourceFile, kubelet.SourceAPI}, // a user named theirs after a static pod
		{"default", "db"}:         {kubelet.SourceFile},                    // static db ...
		{"default", "db-node-1"}:  {kubelet.SourceAPI},                     // ... and an API pod of its mirror's name
		{"default", "run-node-1"}: {kubelet.SourceAPI},
	}
	resolve := resolvePod("node-1", func(namespace, name string) []string { return pods[[2]string{namespace, name}] })
	for in, want := range map[[2]string]string{
		{"default", "web-node-1"}: "web", // a static pod's mirror
		{"default", "api"}:        "api",
		{"default", "db-node-1"}:  "db-node-1", // the API pod of that very name
		{"default", "run-node-1"}: "run-node-1",
	} {
		if got, err := resolve(in[0], in[1]); got != want || err != nil {
			t.Errorf("resolvePod(%s/%s) = %q, %v; want %q", in[0], in[1], got, err, want)
		}
	}
	for _, in := range [][2]string{
		{"default", "web"},            // a static pod by its own name
		{"default", "both"},           // shared by two sources
		{"default", "both-node-1"},    // nor through its mirror name
		{"kube-system", "web-node-1"}, // another namespace
		{"default", "web-node-2"},     // another node's mirror
		{"default", "gone-node-1"},
	} {
		if got, err := resolve(in[0], in[1]); err == nil {
			t.Errorf("resolvePod(%s/%s) = %q; want it refused", in[0], in[1], got)
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
