package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// waitGone watches the pod until it is deleted or replaced by another
// UID, or the context ends.
func waitGone(ctx context.Context, client *Client, target types.NamespacedName, uid types.UID) error {
	query := ListOptions{Namespace: target.Namespace, FieldSelector: "metadata.name=" + target.Name}
	list, err := client.ListPods(ctx, query)
	if err != nil {
		return err
	}
	if len(list.Items) == 0 || list.Items[0].UID != uid {
		return nil
	}
	query.ResourceVersion = list.ResourceVersion
	err = client.Watch(ctx, "pods", query, false, func(ev WatchEvent) (bool, error) {
		if ev.Type == "DELETED" {
			return true, nil
		}
		var pod v1.Pod
		if err := json.Unmarshal(ev.Object, &pod); err != nil {
			return true, fmt.Errorf("decoding a watch event: %w", err)
		}
		return pod.UID != "" && pod.UID != uid, nil // replaced
	})
	if errors.Is(err, ErrWatchClosed) {
		return fmt.Errorf("%w before the pod went", err)
	}
	return err
}
