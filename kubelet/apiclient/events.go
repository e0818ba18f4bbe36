package apiclient

import (
	"context"
	"fmt"
	"sort"

	v1 "k8s.io/api/core/v1"
)

// PodEvents lists the pod's events, oldest first, with the field selector
// kubectl describe uses.
func (c *Client) PodEvents(ctx context.Context, pod *v1.Pod) ([]v1.Event, error) {
	selector := "involvedObject.name=" + pod.Name + ",involvedObject.namespace=" + pod.Namespace
	if pod.UID != "" {
		selector += ",involvedObject.uid=" + string(pod.UID)
	}
	list, err := into[v1.EventList](c.listRequest("events", ListOptions{Namespace: pod.Namespace, FieldSelector: selector}).Do(ctx), "events")
	if err != nil {
		return nil, fmt.Errorf("listing the events of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	sort.SliceStable(list.Items, func(i, j int) bool { return list.Items[i].LastTimestamp.Before(&list.Items[j].LastTimestamp) })
	return list.Items, nil
}
