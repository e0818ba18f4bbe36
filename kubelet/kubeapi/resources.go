package kubeapi

import (
	"context"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

// Nodes is what the agent does with Node objects.
type Nodes interface {
	Get(ctx context.Context, name string) (*v1.Node, error)
	Create(ctx context.Context, node *v1.Node) (*v1.Node, error)
	// PatchStatus applies a strategic merge patch to nodes/status.
	PatchStatus(ctx context.Context, name string, patch []byte) (*v1.Node, error)
	// List and Watch read every Node, for the routes to other nodes'
	// pods. The Node authorizer lets a node read only its own Node: this
	// needs RBAC (the README's ClusterRole for system:nodes).
	// Watch takes the informer's options as they are (resourceVersion,
	// sendInitialEvents for a watch-list, timeouts).
	List(ctx context.Context) (*v1.NodeList, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// Leases is what the agent does with its node Lease.
type Leases interface {
	Get(ctx context.Context, namespace, name string) (*coordinationv1.Lease, error)
	Create(ctx context.Context, lease *coordinationv1.Lease) (*coordinationv1.Lease, error)
	Update(ctx context.Context, lease *coordinationv1.Lease) (*coordinationv1.Lease, error)
}

// CSRs is what TLS bootstrapping does with CertificateSigningRequests.
type CSRs interface {
	Create(ctx context.Context, csr *certificatesv1.CertificateSigningRequest) (*certificatesv1.CertificateSigningRequest, error)
	Get(ctx context.Context, name string) (*certificatesv1.CertificateSigningRequest, error)
}

// Nodes returns the client of Node objects.
func (c *Client) Nodes() Nodes { return nodes{c.core} }

// Leases returns the client of Lease objects.
func (c *Client) Leases() Leases { return leases{c.coordination} }

// CSRs returns the client of CertificateSigningRequest objects.
func (c *Client) CSRs() CSRs { return csrs{c.certificates} }

type nodes struct{ rc rest.Interface }

func (n nodes) Get(ctx context.Context, name string) (*v1.Node, error) {
	out := &v1.Node{}
	return out, n.rc.Get().Resource("nodes").Name(name).Do(ctx).Into(out)
}

func (n nodes) Create(ctx context.Context, node *v1.Node) (*v1.Node, error) {
	out := &v1.Node{}
	return out, n.rc.Post().Resource("nodes").VersionedParams(&metav1.CreateOptions{}, parameterCodec).Body(node).Do(ctx).Into(out)
}

func (n nodes) PatchStatus(ctx context.Context, name string, patch []byte) (*v1.Node, error) {
	out := &v1.Node{}
	return out, n.rc.Patch(types.StrategicMergePatchType).Resource("nodes").Name(name).SubResource("status").
		VersionedParams(&metav1.PatchOptions{}, parameterCodec).Body(patch).Do(ctx).Into(out)
}

func (n nodes) List(ctx context.Context) (*v1.NodeList, error) {
	out := &v1.NodeList{}
	return out, n.rc.Get().Resource("nodes").Do(ctx).Into(out)
}

func (n nodes) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return n.rc.Get().Resource("nodes").VersionedParams(&opts, parameterCodec).Watch(ctx)
}

type leases struct{ rc rest.Interface }

func (l leases) Get(ctx context.Context, namespace, name string) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	return out, l.rc.Get().Namespace(namespace).Resource("leases").Name(name).Do(ctx).Into(out)
}

func (l leases) Create(ctx context.Context, lease *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	return out, l.rc.Post().Namespace(lease.Namespace).Resource("leases").
		VersionedParams(&metav1.CreateOptions{}, parameterCodec).Body(lease).Do(ctx).Into(out)
}

func (l leases) Update(ctx context.Context, lease *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	return out, l.rc.Put().Namespace(lease.Namespace).Resource("leases").Name(lease.Name).
		VersionedParams(&metav1.UpdateOptions{}, parameterCodec).Body(lease).Do(ctx).Into(out)
}

type csrs struct{ rc rest.Interface }

func (c csrs) Create(ctx context.Context, csr *certificatesv1.CertificateSigningRequest) (*certificatesv1.CertificateSigningRequest, error) {
	out := &certificatesv1.CertificateSigningRequest{}
	return out, c.rc.Post().Resource("certificatesigningrequests").
		VersionedParams(&metav1.CreateOptions{}, parameterCodec).Body(csr).Do(ctx).Into(out)
}

func (c csrs) Get(ctx context.Context, name string) (*certificatesv1.CertificateSigningRequest, error) {
	out := &certificatesv1.CertificateSigningRequest{}
	return out, c.rc.Get().Resource("certificatesigningrequests").Name(name).Do(ctx).Into(out)
}

// Pods is what the agent does with Pod objects: today, the mirror pods of
// its static pods.
type Pods interface {
	// ListOnNode lists the pods of every namespace bound to node, the only
	// list of pods the Node authorizer lets a node make.
	ListOnNode(ctx context.Context, node string) (*v1.PodList, error)
	// WatchOnNode watches the pods bound to node from resourceVersion.
	WatchOnNode(ctx context.Context, node, resourceVersion string) (watch.Interface, error)
	Create(ctx context.Context, pod *v1.Pod) (*v1.Pod, error)
	// Delete deletes the pod now (grace 0) if its UID is still uid, as
	// the kubelet deletes a mirror pod: a pod recreated meanwhile under
	// the same name is left alone (a Conflict).
	Delete(ctx context.Context, namespace, name string, uid types.UID) error
	// PatchStatus applies a strategic merge patch to pods/status.
	PatchStatus(ctx context.Context, namespace, name string, patch []byte) (*v1.Pod, error)
}

// Pods returns the client of Pod objects.
func (c *Client) Pods() Pods { return pods{c.core} }

type pods struct{ rc rest.Interface }

func onNode(node string) *metav1.ListOptions {
	return &metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()}
}

func (p pods) ListOnNode(ctx context.Context, node string) (*v1.PodList, error) {
	out := &v1.PodList{}
	return out, p.rc.Get().Resource("pods").VersionedParams(onNode(node), parameterCodec).Do(ctx).Into(out)
}

func (p pods) WatchOnNode(ctx context.Context, node, resourceVersion string) (watch.Interface, error) {
	opts := onNode(node)
	opts.Watch, opts.ResourceVersion, opts.AllowWatchBookmarks = true, resourceVersion, true
	return p.rc.Get().Resource("pods").VersionedParams(opts, parameterCodec).Watch(ctx)
}

func (p pods) Create(ctx context.Context, pod *v1.Pod) (*v1.Pod, error) {
	out := &v1.Pod{}
	return out, p.rc.Post().Namespace(pod.Namespace).Resource("pods").
		VersionedParams(&metav1.CreateOptions{}, parameterCodec).Body(pod).Do(ctx).Into(out)
}

func (p pods) Delete(ctx context.Context, namespace, name string, uid types.UID) error {
	grace := int64(0)
	opts := &metav1.DeleteOptions{GracePeriodSeconds: &grace, Preconditions: &metav1.Preconditions{UID: &uid}}
	return p.rc.Delete().Namespace(namespace).Resource("pods").Name(name).Body(opts).Do(ctx).Error()
}

func (p pods) PatchStatus(ctx context.Context, namespace, name string, patch []byte) (*v1.Pod, error) {
	out := &v1.Pod{}
	return out, p.rc.Patch(types.StrategicMergePatchType).Namespace(namespace).Resource("pods").Name(name).SubResource("status").
		VersionedParams(&metav1.PatchOptions{}, parameterCodec).Body(patch).Do(ctx).Into(out)
}

// Services is what the agent reads of Service objects: every namespace's,
// for the service environment variables of pods (the Node authorizer lets
// a node list and watch them).
type Services interface {
	List(ctx context.Context) (*v1.ServiceList, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// Services returns the client of Service objects.
func (c *Client) Services() Services { return services{c.core} }

type services struct{ rc rest.Interface }

func (s services) List(ctx context.Context) (*v1.ServiceList, error) {
	out := &v1.ServiceList{}
	return out, s.rc.Get().Resource("services").Do(ctx).Into(out)
}

func (s services) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return s.rc.Get().Resource("services").VersionedParams(&opts, parameterCodec).Watch(ctx)
}
