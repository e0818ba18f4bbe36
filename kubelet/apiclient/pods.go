package apiclient

import (
	"context"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GetPod fetches one pod.
func (c *Client) GetPod(ctx context.Context, namespace, name string) (*v1.Pod, error) {
	return into[v1.Pod](c.rest.Get().Namespace(namespace).Resource("pods").Name(name).Do(ctx), "pod "+namespace+"/"+name)
}

// ListPods fetches the pods opts selects.
func (c *Client) ListPods(ctx context.Context, opts ListOptions) (*v1.PodList, error) {
	return into[v1.PodList](c.listRequest("pods", opts).Do(ctx), "the pod list")
}

// Table lists a resource as the server's Table: the columns and rows
// `kubectl get` prints.
func (c *Client) Table(ctx context.Context, resource string, opts ListOptions) (*metav1.Table, error) {
	return into[metav1.Table](c.listRequest(resource, opts).SetHeader("Accept", tableAccept).Do(ctx), "the "+resource+" table")
}

// CreatePod POSTs a pod document as the user wrote it.
func (c *Client) CreatePod(ctx context.Context, doc ManifestPod) (*v1.Pod, error) {
	req := c.rest.Post().Namespace(doc.Namespace).Resource("pods")
	return into[v1.Pod](req.SetHeader("Content-Type", "application/json").Body(doc.JSON).Do(ctx), "the created pod")
}

// ReplacePod PUTs a pod document over the pod of that name.
func (c *Client) ReplacePod(ctx context.Context, doc ManifestPod) (*v1.Pod, error) {
	req := c.rest.Put().Namespace(doc.Namespace).Resource("pods").Name(doc.Name)
	return into[v1.Pod](req.SetHeader("Content-Type", "application/json").Body(doc.JSON).Do(ctx), "the replaced pod")
}

// DeletePod asks the API to delete the pod and returns it as the server
// last saw it, with its deletion timestamp.
func (c *Client) DeletePod(ctx context.Context, namespace, name string) (*v1.Pod, error) {
	return into[v1.Pod](c.rest.Delete().Namespace(namespace).Resource("pods").Name(name).Do(ctx), "the deleted pod")
}
