package apiserver

import (
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// Discovery lists only what is served: the core v1 group with pods (and
// their log, portforward, exec and attach subresources), this node and
// events, and, when the agent gives usage, metrics.k8s.io.
// The answers are the unaggregated v1 forms, which every client falls
// back to when it asks for aggregated discovery.

var coreResources = metav1.APIResourceList{
	TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
	GroupVersion: "v1",
	APIResources: []metav1.APIResource{
		{
			Name: "pods", SingularName: "pod", Namespaced: true, Kind: "Pod",
			Verbs:      metav1.Verbs{"create", "delete", "get", "list", "patch", "update", "watch"},
			ShortNames: []string{"po"}, Categories: []string{"all"},
		},
		{Name: "pods/log", Namespaced: true, Kind: "Pod", Verbs: metav1.Verbs{"get"}},
		{Name: "pods/portforward", Namespaced: true, Kind: "PodPortForwardOptions", Verbs: metav1.Verbs{"create", "get"}},
		{Name: "pods/exec", Namespaced: true, Kind: "PodExecOptions", Verbs: metav1.Verbs{"create", "get"}},
		{Name: "pods/attach", Namespaced: true, Kind: "PodAttachOptions", Verbs: metav1.Verbs{"create", "get"}},
		{
			Name: "nodes", SingularName: "node", Namespaced: false, Kind: "Node",
			Verbs: metav1.Verbs{"get", "list"}, ShortNames: []string{"no"},
		},
		{
			Name: "events", SingularName: "event", Namespaced: true, Kind: "Event",
			Verbs: metav1.Verbs{"get", "list", "watch"}, ShortNames: []string{"ev"},
		},
	},
}

func (s *Server) version(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, ServerVersion(s.cfg.Version))
}

// ServerVersion is what /version reports: the Kubernetes API version the
// node API follows (that of the k8s.io/api module it is built with), with
// the agent's own version as build metadata, e.g. "v1.37.2+minikubelet.v0.3.0".
func ServerVersion(agentVersion string) version.Info {
	major, minor, patch := "1", "0", "0"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "k8s.io/api" {
				// k8s.io/api v0.N.P is Kubernetes v1.N.P.
				parts := strings.SplitN(strings.TrimPrefix(dep.Version, "v0."), ".", 2)
				if len(parts) == 2 {
					minor, patch = parts[0], strings.SplitN(parts[1], "-", 2)[0]
				}
			}
		}
	}
	build := "minikubelet"
	if agentVersion != "" {
		build += "." + strings.Map(semverBuildRune, agentVersion)
	}
	return version.Info{
		Major: major, Minor: minor,
		GitVersion: "v" + major + "." + minor + "." + patch + "+" + build,
		GoVersion:  runtime.Version(),
		Compiler:   runtime.Compiler,
		Platform:   runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// semverBuildRune keeps a rune allowed in semver build metadata.
func semverBuildRune(r rune) rune {
	if r == '.' || r == '-' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
		return r
	}
	return '-'
}

func (s *Server) apiVersions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: serverAddress(r)},
		},
	})
}

// serverAddress is the address the client reached us at.
func serverAddress(r *http.Request) string {
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && addr.Network() == "tcp" {
		return addr.String()
	}
	return r.Host
}

func (s *Server) resources(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, coreResources)
}

func (s *Server) groups(w http.ResponseWriter, _ *http.Request) {
	groups := []metav1.APIGroup{}
	if s.cfg.Usage != nil {
		groups = append(groups, metricsGroup)
	}
	writeJSON(w, http.StatusOK, metav1.APIGroupList{
		TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
		Groups:   groups,
	})
}

func methodNotSupported(verb, resource string) error {
	return apierrors.NewMethodNotSupported(schema.GroupResource{Resource: resource}, verb)
}
