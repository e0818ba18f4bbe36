package apiserver

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
)

// maxWatchTimeout caps a watch a client asks to keep open, as the
// apiserver's --min-request-timeout does; clients simply watch again.
const maxWatchTimeout = 30 * time.Minute

// listQuery is a list or watch request's options.
type listQuery struct {
	namespace string // "" for all namespaces
	labels    labels.Selector
	fields    fields.Selector
	watch     bool
	// resourceVersion is where a watch starts; "" and "0" start with the
	// current state as ADDED events.
	resourceVersion   string
	sendInitialEvents bool
	allowBookmarks    bool
	timeout           time.Duration
}

// parseListQuery reads the query parameters kubectl and client-go send.
// limit and continue are accepted and ignored: a node's pods fit in one
// page, so the first page is the whole list.
func parseListQuery(r *http.Request) (listQuery, error) {
	query := r.URL.Query()
	q := listQuery{
		namespace:       r.PathValue("namespace"),
		resourceVersion: query.Get("resourceVersion"),
		timeout:         maxWatchTimeout,
	}
	var err error
	if q.labels, err = labels.Parse(query.Get("labelSelector")); err != nil {
		return q, apierrors.NewBadRequest("labelSelector: " + err.Error())
	}
	if q.fields, err = fields.ParseSelector(query.Get("fieldSelector")); err != nil {
		return q, apierrors.NewBadRequest("fieldSelector: " + err.Error())
	}
	if q.watch, err = queryBool(query, "watch"); err != nil {
		return q, err
	}
	if q.sendInitialEvents, err = queryBool(query, "sendInitialEvents"); err != nil {
		return q, err
	}
	if q.allowBookmarks, err = queryBool(query, "allowWatchBookmarks"); err != nil {
		return q, err
	}
	if s := query.Get("timeoutSeconds"); s != "" {
		seconds, err := strconv.ParseInt(s, 10, 64)
		if err != nil || seconds < 0 {
			return q, apierrors.NewBadRequest("timeoutSeconds=" + s + ": give a whole number of seconds")
		}
		if d := time.Duration(seconds) * time.Second; d > 0 && d < q.timeout {
			q.timeout = d
		}
	}
	if q.sendInitialEvents && !q.allowBookmarks {
		return q, apierrors.NewBadRequest("sendInitialEvents=true needs allowWatchBookmarks=true, which carries the end of the initial events")
	}
	return q, nil
}

func queryBool(query url.Values, name string) (bool, error) {
	s := query.Get(name)
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, apierrors.NewBadRequest(name + "=" + s + ": use true or false")
	}
	return v, nil
}

// podFields are the pod fields a field selector may name, the apiserver's set.
func podFields(pod *v1.Pod) fields.Set {
	return fields.Set{
		"metadata.name":            pod.Name,
		"metadata.namespace":       pod.Namespace,
		"spec.nodeName":            pod.Spec.NodeName,
		"spec.restartPolicy":       string(pod.Spec.RestartPolicy),
		"spec.schedulerName":       pod.Spec.SchedulerName,
		"spec.serviceAccountName":  pod.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(pod.Spec.HostNetwork),
		"status.phase":             string(pod.Status.Phase),
		"status.podIP":             pod.Status.PodIP,
		"status.nominatedNodeName": pod.Status.NominatedNodeName,
	}
}

// eventFields are the event fields a field selector may name.
func eventFields(ev *v1.Event) fields.Set {
	return fields.Set{
		"metadata.name":                  ev.Name,
		"metadata.namespace":             ev.Namespace,
		"involvedObject.kind":            ev.InvolvedObject.Kind,
		"involvedObject.namespace":       ev.InvolvedObject.Namespace,
		"involvedObject.name":            ev.InvolvedObject.Name,
		"involvedObject.uid":             string(ev.InvolvedObject.UID),
		"involvedObject.apiVersion":      ev.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": ev.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       ev.InvolvedObject.FieldPath,
		"reason":                         ev.Reason,
		"reportingComponent":             ev.ReportingController,
		"source":                         ev.Source.Component,
		"type":                           ev.Type,
	}
}

// checkFieldLabels refuses a selector naming a field the resource does not
// index, as the apiserver does, instead of silently matching nothing.
func checkFieldLabels(selector fields.Selector, known fields.Set) error {
	for _, req := range selector.Requirements() {
		if _, ok := known[req.Field]; !ok {
			return apierrors.NewBadRequest("field label not supported: " + req.Field)
		}
	}
	return nil
}

// matchesPod says whether a pod passes the query's namespace and selectors.
func (q listQuery) matchesPod(pod *v1.Pod) bool {
	if q.namespace != "" && pod.Namespace != q.namespace {
		return false
	}
	return q.labels.Matches(labels.Set(pod.Labels)) && q.fields.Matches(podFields(pod))
}

// matchesEvent says whether an event passes the query.
func (q listQuery) matchesEvent(ev *v1.Event) bool {
	if q.namespace != "" && ev.Namespace != q.namespace {
		return false
	}
	return q.labels.Matches(labels.Set(ev.Labels)) && q.fields.Matches(eventFields(ev))
}
