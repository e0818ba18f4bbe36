package kubeapi

import (
	"context"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// Events posts core/v1 Events, as the kubelet's event recorder does: the
// Node authorizer lets a node create and patch them in any namespace.
type Events interface {
	Create(ctx context.Context, event *v1.Event) (*v1.Event, error)
	// Patch applies a strategic merge patch to an event: a repeat's count,
	// lastTimestamp and message.
	Patch(ctx context.Context, namespace, name string, patch []byte) (*v1.Event, error)
}

// Events returns the client of core/v1 Events.
func (c *Client) Events() Events { return events{c.core} }

type events struct{ rc rest.Interface }

func (e events) Create(ctx context.Context, event *v1.Event) (*v1.Event, error) {
	out := &v1.Event{}
	return out, e.rc.Post().Namespace(event.Namespace).Resource("events").
		VersionedParams(&metav1.CreateOptions{}, parameterCodec).Body(event).Do(ctx).Into(out)
}

func (e events) Patch(ctx context.Context, namespace, name string, patch []byte) (*v1.Event, error) {
	out := &v1.Event{}
	return out, e.rc.Patch(types.StrategicMergePatchType).Namespace(namespace).Resource("events").Name(name).
		VersionedParams(&metav1.PatchOptions{}, parameterCodec).Body(patch).Do(ctx).Into(out)
}
