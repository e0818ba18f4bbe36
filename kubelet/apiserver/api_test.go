package apiserver

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"

	"github.com/minikubelet/minikubelet/kubelet"
)

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

func TestDiscoveryListsOnlyWhatIsServed(t *testing.T) {
	_, srv, _ := newTestServer(t)
	code, body := do(t, "GET", srv.URL+"/api", "", "")
	if versions := decode[metav1.APIVersions](t, body); code != 200 || len(versions.Versions) != 1 || versions.Versions[0] != "v1" {
		t.Errorf("/api = %d %s", code, body)
	}
	_, body = do(t, "GET", srv.URL+"/apis", "", "")
	if groups := decode[metav1.APIGroupList](t, body); len(groups.Groups) != 0 {
		t.Errorf("/apis lists groups: %s", body)
	}
	_, body = do(t, "GET", srv.URL+"/api/v1", "", "")
	var names []string
	for _, r := range decode[metav1.APIResourceList](t, body).APIResources {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "pods,pods/log,pods/portforward,pods/exec,pods/attach,nodes,events" {
		t.Errorf("/api/v1 resources = %s", got)
	}
	_, body = do(t, "GET", srv.URL+"/version", "", "")
	if v := decode[version.Info](t, body); v.Major != "1" || !strings.Contains(v.GitVersion, "+minikubelet") {
		t.Errorf("/version = %s", body)
	}
}

func TestListFiltersByNamespaceAndSelectors(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	src.write(t, "db.yaml", podYAML("db"))
	src.write(t, "sys.yaml", strings.Replace(podYAML("proxy"), "metadata:\n", "metadata:\n  namespace: kube-system\n", 1))
	tests := []struct {
		path string
		want string
	}{
		{"/api/v1/pods", "db,web,proxy"},
		{"/api/v1/namespaces/default/pods", "db,web"},
		{"/api/v1/namespaces/kube-system/pods", "proxy"},
		{"/api/v1/pods?labelSelector=app%3Dweb", "web"},
		{"/api/v1/pods?labelSelector=app+in+(db,proxy)", "db,proxy"},
		{"/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Ddb", "db"},
		{"/api/v1/pods?fieldSelector=spec.nodeName%3Dother", ""},
	}
	for _, tt := range tests {
		code, body := do(t, "GET", srv.URL+tt.path, "", "")
		list := decode[v1.PodList](t, body)
		var names []string
		for _, p := range list.Items {
			names = append(names, p.Name)
		}
		if got := strings.Join(names, ","); code != 200 || got != tt.want || list.ResourceVersion == "" {
			t.Errorf("GET %s = %d [%s] rv=%q, want [%s]", tt.path, code, got, list.ResourceVersion, tt.want)
		}
	}
	code, body := do(t, "GET", srv.URL+"/api/v1/pods?fieldSelector=status.hostIP%3Dx", "", "")
	if status := decode[metav1.Status](t, body); code != 400 || !strings.Contains(status.Message, "field label not supported: status.hostIP") {
		t.Errorf("unsupported field = %d %s", code, body)
	}
}

func TestGetServesStatusAndManifestFacts(t *testing.T) {
	src, srv, _ := newTestServer(t)
	path := src.write(t, "web.yaml", podYAML("web"))
	src.setStatus("web", v1.PodStatus{Phase: v1.PodRunning, PodIP: "10.88.0.5"})
	code, body := do(t, "GET", srv.URL+"/api/v1/namespaces/default/pods/web", "", "")
	pod := decode[v1.Pod](t, body)
	if code != 200 || pod.Kind != "Pod" || pod.APIVersion != "v1" || pod.Status.PodIP != "10.88.0.5" || pod.Spec.NodeName != testNode {
		t.Fatalf("GET pod = %d %s", code, body)
	}
	if pod.Annotations["minikubelet.io/manifest-file"] != path || pod.CreationTimestamp.IsZero() || pod.ResourceVersion == "" {
		t.Errorf("pod metadata = %+v", pod.ObjectMeta)
	}
	if c := condition(pod, ConditionManifestValid); c == nil || c.Status != v1.ConditionTrue {
		t.Errorf("manifest condition = %+v", c)
	}
	code, body = do(t, "GET", srv.URL+"/api/v1/namespaces/default/pods/nope", "", "")
	if status := decode[metav1.Status](t, body); code != 404 || status.Reason != metav1.StatusReasonNotFound || status.Message != `pods "nope" not found` {
		t.Errorf("missing pod = %d %s", code, body)
	}
}

func TestBrokenManifestShowsInStatus(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", strings.Replace(podYAML("web"), "image: example.com/app:1", "imagePullPolicy: Sometimes\n    image: x", 1))
	_, body := do(t, "GET", srv.URL+"/api/v1/namespaces/default/pods/web", "", "")
	pod := decode[v1.Pod](t, body)
	c := condition(pod, ConditionManifestValid)
	if pod.Status.Reason != "ManifestError" || c == nil || c.Status != v1.ConditionFalse || !strings.Contains(c.Message, "imagePullPolicy") {
		t.Errorf("broken manifest pod = %s", body)
	}
	_, body = do(t, "GET", srv.URL+"/api/v1/namespaces/default/pods", "", "", "Accept", tableAccept)
	table := decode[metav1.Table](t, body)
	if len(table.Rows) != 1 || table.Rows[0].Cells[2] != "ManifestError" {
		t.Errorf("table = %s", body)
	}
}

func TestTableHasKubectlColumns(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	src.setStatus("web", v1.PodStatus{Phase: v1.PodRunning, PodIP: "10.88.0.5", ContainerStatuses: []v1.ContainerStatus{{
		Name: "app", Ready: true, RestartCount: 2, State: v1.ContainerState{Running: &v1.ContainerStateRunning{}},
	}}})
	code, body := do(t, "GET", srv.URL+"/api/v1/namespaces/default/pods", "", "", "Accept", tableAccept)
	table := decode[metav1.Table](t, body)
	var columns []string
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, c.Name)
	}
	if code != 200 || table.Kind != "Table" || table.APIVersion != "meta.k8s.io/v1" {
		t.Fatalf("table = %d %s", code, body)
	}
	if got := strings.Join(columns, ","); got != "Name,Ready,Status,Restarts,Age,IP,Node,Nominated Node,Readiness Gates" {
		t.Errorf("columns = %s", got)
	}
	cells := table.Rows[0].Cells
	if cells[0] != "web" || cells[1] != "1/1" || cells[2] != "Running" || cells[3] != "2" || cells[5] != "10.88.0.5" || cells[6] != testNode {
		t.Errorf("row = %v", cells)
	}
	if !strings.Contains(string(table.Rows[0].Object.Raw), `"kind":"PartialObjectMetadata"`) {
		t.Errorf("row object = %s", table.Rows[0].Object.Raw)
	}
}

func TestEventsForDescribe(t *testing.T) {
	src, srv, s := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	pod, _ := s.lookup("default", "web")
	selector := "involvedObject.name%3Dweb,involvedObject.namespace%3Ddefault,involvedObject.uid%3D" + string(pod.Pod.UID)
	code, body := do(t, "GET", srv.URL+"/api/v1/namespaces/default/events?fieldSelector="+selector, "", "")
	if list := decode[v1.EventList](t, body); code != 200 || list.Kind != "EventList" {
		t.Errorf("events = %d %s", code, body)
	}
}

func TestPodStatusText(t *testing.T) {
	running := v1.ContainerState{Running: &v1.ContainerStateRunning{}}
	tests := []struct {
		name string
		pod  v1.Pod
		want string
	}{
		{"pending", v1.Pod{Status: v1.PodStatus{Phase: v1.PodPending}}, "Pending"},
		{"waiting reason", v1.Pod{Status: v1.PodStatus{Phase: v1.PodPending, ContainerStatuses: []v1.ContainerStatus{
			{State: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}}}, "ImagePullBackOff"},
		{"running", v1.Pod{Status: v1.PodStatus{Phase: v1.PodRunning, ContainerStatuses: []v1.ContainerStatus{{Ready: true, State: running}}}}, "Running"},
		{"exit code", v1.Pod{Status: v1.PodStatus{Phase: v1.PodFailed, ContainerStatuses: []v1.ContainerStatus{
			{State: v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: 3}}}}}}, "ExitCode:3"},
		{"init waiting", v1.Pod{
			Spec: v1.PodSpec{InitContainers: []v1.Container{{Name: "a"}, {Name: "b"}}},
			Status: v1.PodStatus{Phase: v1.PodPending, InitContainerStatuses: []v1.ContainerStatus{
				{Name: "a", State: v1.ContainerState{Terminated: &v1.ContainerStateTerminated{}}},
				{Name: "b", State: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "PodInitializing"}}}}}}, "Init:1/2"},
		{"init crash", v1.Pod{
			Spec: v1.PodSpec{InitContainers: []v1.Container{{Name: "a"}}},
			Status: v1.PodStatus{Phase: v1.PodPending, InitContainerStatuses: []v1.ContainerStatus{
				{Name: "a", State: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}}}, "Init:CrashLoopBackOff"},
		// A pod beyond maxPods: the sync loop gives it the reason and no
		// container statuses, as the kubelet's admission does.
		{"waiting for a slot", v1.Pod{Spec: v1.PodSpec{Containers: []v1.Container{{Name: "a"}}},
			Status: v1.PodStatus{Phase: v1.PodPending, Reason: kubelet.ReasonOutOfPods}}, "OutOfpods"},
		{"terminating", v1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &metav1.Time{}}, Status: v1.PodStatus{Phase: v1.PodRunning}}, "Terminating"},
	}
	for _, tt := range tests {
		if got := podStatusText(&tt.pod); got != tt.want {
			t.Errorf("%s: status = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestPodRowCountsSidecars: kubectl get pods counts a pod's sidecars in
// READY, and once the pod is initialized its RESTARTS are the sidecars'
// and app containers', not the regular init containers'.
func TestPodRowCountsSidecars(t *testing.T) {
	running := v1.ContainerState{Running: &v1.ContainerStateRunning{}}
	done := v1.ContainerState{Terminated: &v1.ContainerStateTerminated{Reason: "Completed"}}
	pod := &v1.Pod{
		Spec: v1.PodSpec{
			InitContainers: []v1.Container{{Name: "setup"}, {Name: "proxy", RestartPolicy: new(v1.ContainerRestartPolicyAlways)},
				{Name: "logs", RestartPolicy: new(v1.ContainerRestartPolicyAlways)}},
			Containers: []v1.Container{{Name: "app"}},
		},
		Status: v1.PodStatus{
			Phase:      v1.PodRunning,
			Conditions: []v1.PodCondition{{Type: v1.PodInitialized, Status: v1.ConditionTrue}},
			InitContainerStatuses: []v1.ContainerStatus{
				{Name: "setup", State: done, RestartCount: 4},
				{Name: "proxy", State: running, Started: new(true), Ready: true, RestartCount: 1},
				{Name: "logs", State: running, Started: new(true), Ready: false},
			},
			ContainerStatuses: []v1.ContainerStatus{{Name: "app", State: running, Ready: true, RestartCount: 2}},
		},
	}
	cells := podRow(pod, time.Now(), runtime.RawExtension{}).Cells
	if cells[1] != "2/3" || cells[2] != "Running" || cells[3] != "3" {
		t.Errorf("READY, STATUS, RESTARTS = %v, %v, %v; want 2/3, Running, 3", cells[1], cells[2], cells[3])
	}
}

func TestLogRouteTranslatesAndReturnsStatus(t *testing.T) {
	src := newDirSource(t)
	src.write(t, "web.yaml", podYAML("web"))
	var gotPath, gotQuery string
	logs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery = r.URL.Path, r.URL.RawQuery
		if r.URL.Query().Get("previous") == "true" {
			http.Error(w, `previous terminated container "app" in pod default/web not found`, http.StatusBadRequest)
			return
		}
		if r.URL.Query().Get("tailLines") == "1" {
			http.Error(w, "too many log follows: this agent serves at most 100 log follows at once", http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte("line 1\n"))
	})
	s, err := New(Config{Pods: src, ManifestDir: src.dir, NodeName: testNode, Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, s.Handler())
	code, body := do(t, "GET", srv+"/api/v1/namespaces/default/pods/web/log?container=app&follow=true&tailLines=5", "", "")
	if code != 200 || body != "line 1\n" || gotPath != "/containerLogs/default/web/app" || gotQuery != "follow=true&tailLines=5" {
		t.Errorf("log = %d %q via %s?%s", code, body, gotPath, gotQuery)
	}
	code, body = do(t, "GET", srv+"/api/v1/namespaces/default/pods/web/log?previous=true", "", "")
	if status := decode[metav1.Status](t, body); code != 400 || status.Reason != metav1.StatusReasonBadRequest || !strings.Contains(status.Message, "previous terminated") {
		t.Errorf("log error = %d %s", code, body)
	}
	code, body = do(t, "GET", srv+"/api/v1/namespaces/default/pods/web/log?follow=true&tailLines=1", "", "")
	if status := decode[metav1.Status](t, body); code != 429 || status.Reason != metav1.StatusReasonTooManyRequests || !strings.Contains(status.Message, "at most 100 log follows") {
		t.Errorf("log over the follow cap = %d %s", code, body)
	}
	code, body = do(t, "GET", srv+"/api/v1/namespaces/default/pods/nope/log", "", "")
	if code != 404 || !strings.Contains(body, `pods \"nope\" not found`) {
		t.Errorf("missing pod log = %d %s", code, body)
	}
}

func condition(pod v1.Pod, kind v1.PodConditionType) *v1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == kind {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func manifestFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
