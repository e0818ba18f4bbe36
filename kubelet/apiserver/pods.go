package apiserver

import (
	"net/http"
	"strconv"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// listPods serves GET /api/v1/pods and /api/v1/namespaces/{ns}/pods, as a
// PodList, a Table (kubectl get) or a watch stream (?watch=true).
func (s *Server) listPods(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err == nil {
		err = checkFieldLabels(q.fields, podFields(&v1.Pod{}))
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if q.watch {
		s.watchPods(w, r, q)
		return
	}
	snap := s.store.sync()
	var pods []*v1.Pod
	for _, p := range snap.Pods {
		if q.matchesPod(p.Pod) {
			pods = append(pods, p.Pod)
		}
	}
	version := strconv.FormatUint(snap.Version, 10)
	if tv := tableVersion(r); tv != "" {
		table, err := s.podTable(r, tv, pods)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		table.ResourceVersion = version
		writeJSON(w, http.StatusOK, table)
		return
	}
	list := v1.PodList{
		TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"},
		ListMeta: metav1.ListMeta{ResourceVersion: version},
		Items:    make([]v1.Pod, 0, len(pods)),
	}
	for _, p := range pods {
		list.Items = append(list.Items, *p)
	}
	writeJSON(w, http.StatusOK, list)
}

// getPod serves GET /api/v1/namespaces/{ns}/pods/{name}.
func (s *Server) getPod(w http.ResponseWriter, r *http.Request) {
	p, err := s.lookup(r.PathValue("namespace"), r.PathValue("name"))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if tv := tableVersion(r); tv != "" {
		table, err := s.podTable(r, tv, []*v1.Pod{p.Pod})
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		table.ResourceVersion = p.Pod.ResourceVersion
		writeJSON(w, http.StatusOK, table)
		return
	}
	writeJSON(w, http.StatusOK, p.Pod)
}

// lookup finds a pod by namespace and name in an up-to-date store.
func (s *Server) lookup(namespace, name string) (*servedPod, error) {
	for _, p := range s.store.sync().Pods {
		if p.Pod.Namespace == namespace && p.Pod.Name == name {
			return p, nil
		}
	}
	return nil, notFound(name)
}

// podTable builds the Table kubectl prints for pods.
func (s *Server) podTable(r *http.Request, version string, pods []*v1.Pod) (*metav1.Table, error) {
	policy, err := includeObject(r)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	table := newTable(version, podColumns)
	for _, pod := range pods {
		table.Rows = append(table.Rows, podRow(pod, now, rowObject(version, policy, pod, &pod.ObjectMeta)))
	}
	return table, nil
}

// newTable returns an empty Table in the meta.k8s.io version the client
// accepts.
func newTable(version string, columns []metav1.TableColumnDefinition) *metav1.Table {
	return &metav1.Table{
		TypeMeta:          metav1.TypeMeta{Kind: "Table", APIVersion: metav1.GroupName + "/" + version},
		ColumnDefinitions: columns,
		Rows:              []metav1.TableRow{},
	}
}

// rowObject is what a table row carries of its object, per includeObject.
func rowObject(version string, policy metav1.IncludeObjectPolicy, obj runtime.Object, meta *metav1.ObjectMeta) runtime.RawExtension {
	switch policy {
	case metav1.IncludeNone:
		return runtime.RawExtension{}
	case metav1.IncludeObject:
		return runtime.RawExtension{Object: obj}
	}
	return runtime.RawExtension{Object: &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: metav1.GroupName + "/" + version},
		ObjectMeta: *meta,
	}}
}
