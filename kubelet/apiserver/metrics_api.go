package apiserver

import (
	"context"
	"net/http"
	"sort"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/minikubelet/minikubelet/metrics"
)

// UsageSource gives the node's and containers' current resource usage;
// *metrics.Handlers is one, from the stats it caches for
// /metrics/resource.
type UsageSource interface {
	Usage(ctx context.Context) (metrics.Usage, error)
}

// The metrics API is metrics-server's: metrics.k8s.io/v1beta1 with
// NodeMetrics and PodMetrics, so `kubectl top` works against the node.
// Its types are k8s.io/metrics's, a module of types alone.
const metricsGroupVersion = metricsv1beta1.GroupName + "/v1beta1"

var metricsGroup = metav1.APIGroup{
	TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
	Name:     metricsv1beta1.GroupName,
	Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: metricsGroupVersion, Version: "v1beta1"}},
	PreferredVersion: metav1.GroupVersionForDiscovery{
		GroupVersion: metricsGroupVersion, Version: "v1beta1",
	},
}

var metricsResources = metav1.APIResourceList{
	TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
	GroupVersion: metricsGroupVersion,
	APIResources: []metav1.APIResource{
		{Name: "nodes", SingularName: "", Namespaced: false, Kind: "NodeMetrics", Verbs: metav1.Verbs{"get", "list"}},
		{Name: "pods", SingularName: "", Namespaced: true, Kind: "PodMetrics", Verbs: metav1.Verbs{"get", "list"}},
	},
}

var (
	podMetricsResource  = schema.GroupResource{Group: metricsv1beta1.GroupName, Resource: "pods"}
	nodeMetricsResource = schema.GroupResource{Group: metricsv1beta1.GroupName, Resource: "nodes"}
)

// usageTimeout bounds one metrics request: a first one waits a second
// for a second sample, and the runtime's stats take up to their timeout.
const usageTimeout = 15 * time.Second

func (s *Server) metricsRoutes() map[string]http.HandlerFunc {
	const base = "/apis/" + metricsGroupVersion
	return map[string]http.HandlerFunc{
		"GET /apis/" + metricsv1beta1.GroupName:          s.metricsGroup,
		"GET /apis/" + metricsv1beta1.GroupName + "/{$}": s.metricsGroup,
		"GET " + base:                                         s.metricsResources,
		"GET " + base + "/{$}":                                s.metricsResources,
		"GET " + base + "/nodes":                              s.listNodeMetrics,
		"GET " + base + "/nodes/{name}":                       s.getNodeMetrics,
		"GET " + base + "/pods":                               s.listPodMetrics,
		"GET " + base + "/namespaces/{namespace}/pods":        s.listPodMetrics,
		"GET " + base + "/namespaces/{namespace}/pods/{name}": s.getPodMetrics,
	}
}

func (s *Server) metricsGroup(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, metricsGroup)
}

func (s *Server) metricsResources(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, metricsResources)
}

// usage reads the current usage, or says why there is none.
func (s *Server) usage(ctx context.Context) (metrics.Usage, error) {
	ctx, cancel := context.WithTimeout(ctx, usageTimeout)
	defer cancel()
	usage, err := s.cfg.Usage.Usage(ctx)
	if err != nil {
		return usage, apierrors.NewServiceUnavailable("resource usage is not available: " + err.Error())
	}
	return usage, nil
}

func (s *Server) listNodeMetrics(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err == nil {
		err = checkFieldLabels(q.fields, fields.Set{"metadata.name": ""})
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	list := metricsv1beta1.NodeMetricsList{TypeMeta: metav1.TypeMeta{Kind: "NodeMetricsList", APIVersion: metricsGroupVersion}}
	if q.labels.Matches(labels.Set(s.nodeLabels())) && q.fields.Matches(fields.Set{"metadata.name": s.cfg.NodeName}) {
		m, err := s.nodeMetrics(r.Context())
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		if m != nil {
			list.Items = append(list.Items, *m)
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) getNodeMetrics(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var m *metricsv1beta1.NodeMetrics
	var err error
	if name == s.cfg.NodeName {
		m, err = s.nodeMetrics(r.Context())
	}
	if err == nil && m == nil {
		err = apierrors.NewNotFound(nodeMetricsResource, name)
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// nodeMetrics is the node's usage, nil when the node's figures are
// missing.
func (s *Server) nodeMetrics(ctx context.Context) (*metricsv1beta1.NodeMetrics, error) {
	usage, err := s.usage(ctx)
	if err != nil || !usage.Node.OK {
		return nil, err
	}
	return &metricsv1beta1.NodeMetrics{
		TypeMeta:   metav1.TypeMeta{Kind: "NodeMetrics", APIVersion: metricsGroupVersion},
		ObjectMeta: metav1.ObjectMeta{Name: s.cfg.NodeName, Labels: s.nodeLabels(), CreationTimestamp: metav1.NewTime(s.cfg.Now())},
		Timestamp:  metav1.NewTime(usage.Node.Timestamp),
		Window:     metav1.Duration{Duration: usage.Node.Window},
		Usage:      resourceList(usage.Node),
	}, nil
}

func (s *Server) listPodMetrics(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err == nil {
		err = checkFieldLabels(q.fields, podMetricsFields(&v1.Pod{}))
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	all, err := s.podMetrics(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	list := metricsv1beta1.PodMetricsList{TypeMeta: metav1.TypeMeta{Kind: "PodMetricsList", APIVersion: metricsGroupVersion}}
	for _, m := range all {
		if (q.namespace == "" || m.pod.Namespace == q.namespace) && q.labels.Matches(labels.Set(m.pod.Labels)) &&
			q.fields.Matches(podMetricsFields(m.pod)) {
			list.Items = append(list.Items, m.metrics)
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) getPodMetrics(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	all, err := s.podMetrics(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	for _, m := range all {
		if m.pod.Namespace == ns && m.pod.Name == name {
			writeJSON(w, http.StatusOK, m.metrics)
			return
		}
	}
	writeError(w, s.log, apierrors.NewNotFound(podMetricsResource, name))
}

// podFigures is one pod's metrics with the pod they describe.
type podFigures struct {
	pod     *v1.Pod
	metrics metricsv1beta1.PodMetrics
}

// podMetrics joins the containers' usage with the pods the API serves,
// sorted by namespace and name. A pod's window is its longest
// container's; pods with no figures yet are left out, as metrics-server
// leaves them.
func (s *Server) podMetrics(ctx context.Context) ([]podFigures, error) {
	usage, err := s.usage(ctx)
	if err != nil {
		return nil, err
	}
	byPod := map[string][]metrics.ContainerUsage{}
	for _, c := range usage.Containers {
		byPod[c.Namespace+"/"+c.Pod] = append(byPod[c.Namespace+"/"+c.Pod], c)
	}
	var out []podFigures
	for _, p := range s.store.sync().Pods {
		containers := byPod[p.Pod.Namespace+"/"+p.Pod.Name]
		if len(containers) == 0 || p.View.Terminating {
			continue
		}
		sort.Slice(containers, func(i, j int) bool { return containers[i].Container < containers[j].Container })
		m := metricsv1beta1.PodMetrics{
			TypeMeta: metav1.TypeMeta{Kind: "PodMetrics", APIVersion: metricsGroupVersion},
			ObjectMeta: metav1.ObjectMeta{
				Name: p.Pod.Name, Namespace: p.Pod.Namespace, Labels: p.Pod.Labels, CreationTimestamp: metav1.NewTime(s.cfg.Now()),
			},
		}
		for _, c := range containers {
			if c.Timestamp.After(m.Timestamp.Time) {
				m.Timestamp = metav1.NewTime(c.Timestamp)
			}
			if c.Window > m.Window.Duration {
				m.Window.Duration = c.Window
			}
			m.Containers = append(m.Containers, metricsv1beta1.ContainerMetrics{Name: c.Container, Usage: resourceList(c.ResourceUsage)})
		}
		out = append(out, podFigures{pod: p.Pod, metrics: m})
	}
	return out, nil
}

// resourceList is usage as metrics-server writes it: CPU in nanocores,
// memory in bytes.
func resourceList(u metrics.ResourceUsage) v1.ResourceList {
	return v1.ResourceList{
		v1.ResourceCPU:    *resource.NewScaledQuantity(int64(u.CPUNanoCores), resource.Nano),
		v1.ResourceMemory: *resource.NewQuantity(int64(u.MemoryBytes), resource.BinarySI),
	}
}

// podMetricsFields are the fields a pod metrics field selector may name.
func podMetricsFields(pod *v1.Pod) fields.Set {
	return fields.Set{"metadata.name": pod.Name, "metadata.namespace": pod.Namespace}
}
