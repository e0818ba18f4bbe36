package kubeapi

import (
	"context"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// Nodes is what the agent does with Node objects.
type Nodes interface {
	Get(ctx context.Context, name string) (*v1.Node, error)
	Create(ctx context.Context, node *v1.Node) (*v1.Node, error)
	// PatchStatus applies a strategic merge patch to nodes/status.
	PatchStatus(ctx context.Context, name string, patch []byte) (*v1.Node, error)
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
