package streaming

// Kind says which of the two verbs a request is for.
type Kind string

// The verbs served.
const (
	KindExec   Kind = "exec"
	KindAttach Kind = "attach"
)

// Routes of exec and attach, in Go 1.22 ServeMux syntax without a method:
// the handler accepts GET (WebSocket) and POST (SPDY) on each. The
// kubelet's paths name the container in the path and may carry the pod's
// UID, which refuses a pod replaced since the client looked it up; the
// API's take it as ?container=.
const (
	KubeletExecPattern      = "/exec/{namespace}/{pod}/{container}"
	KubeletExecUIDPattern   = "/exec/{namespace}/{pod}/{uid}/{container}"
	KubeletAttachPattern    = "/attach/{namespace}/{pod}/{container}"
	KubeletAttachUIDPattern = "/attach/{namespace}/{pod}/{uid}/{container}"
	APIExecPattern          = "/api/v1/namespaces/{namespace}/pods/{pod}/exec"
	APIAttachPattern        = "/api/v1/namespaces/{namespace}/pods/{pod}/attach"
)

// route is one pattern and what it serves.
type route struct {
	pattern string
	kind    Kind
	// api says the API's error style: a pod that is missing is
	// `pods "x" not found`, as kube-apiserver says, not the kubelet's
	// "pod does not exist".
	api bool
}

var routes = []route{
	{KubeletExecPattern, KindExec, false},
	{KubeletExecUIDPattern, KindExec, false},
	{KubeletAttachPattern, KindAttach, false},
	{KubeletAttachUIDPattern, KindAttach, false},
	{APIExecPattern, KindExec, true},
	{APIAttachPattern, KindAttach, true},
}

// Patterns lists the routes the agent mounts the handler on.
func Patterns() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.pattern
	}
	return out
}

// KubeletPatterns are the kubelet's paths of Patterns, the ones the
// cluster's API server calls on a node.
func KubeletPatterns() []string {
	var out []string
	for _, r := range routes {
		if !r.api {
			out = append(out, r.pattern)
		}
	}
	return out
}
