// Package kubeapitest serves kubeapi's interfaces from a client-go
// clientset, so unit tests drive the agent against client-go's fake
// clientset (its object tracker and reactors). Only tests import it: the
// agent does not link the clientset.
package kubeapitest

import (
	"context"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

// Nodes serves kubeapi.Nodes from c.
func Nodes(c kubernetes.Interface) kubeapi.Nodes { return nodes{c} }

// Leases serves kubeapi.Leases from c.
func Leases(c kubernetes.Interface) kubeapi.Leases { return leases{c} }

// CSRs serves kubeapi.CSRs from c.
func CSRs(c kubernetes.Interface) kubeapi.CSRs { return csrs{c} }

type nodes struct{ c kubernetes.Interface }

func (n nodes) Get(ctx context.Context, name string) (*v1.Node, error) {
	return n.c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
}

func (n nodes) Create(ctx context.Context, node *v1.Node) (*v1.Node, error) {
	return n.c.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
}

func (n nodes) List(ctx context.Context) (*v1.NodeList, error) {
	return n.c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
}

func (n nodes) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return n.c.CoreV1().Nodes().Watch(ctx, opts)
}

func (n nodes) PatchStatus(ctx context.Context, name string, patch []byte) (*v1.Node, error) {
	return n.c.CoreV1().Nodes().Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
}

type leases struct{ c kubernetes.Interface }

func (l leases) Get(ctx context.Context, namespace, name string) (*coordinationv1.Lease, error) {
	return l.c.CoordinationV1().Leases(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (l leases) Create(ctx context.Context, lease *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	return l.c.CoordinationV1().Leases(lease.Namespace).Create(ctx, lease, metav1.CreateOptions{})
}

func (l leases) Update(ctx context.Context, lease *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	return l.c.CoordinationV1().Leases(lease.Namespace).Update(ctx, lease, metav1.UpdateOptions{})
}

type csrs struct{ c kubernetes.Interface }

func (s csrs) Create(ctx context.Context, csr *certificatesv1.CertificateSigningRequest) (*certificatesv1.CertificateSigningRequest, error) {
	return s.c.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{})
}

func (s csrs) Get(ctx context.Context, name string) (*certificatesv1.CertificateSigningRequest, error) {
	return s.c.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
}

// Pods serves kubeapi.Pods from c.
func Pods(c kubernetes.Interface) kubeapi.Pods { return pods{c} }

type pods struct{ c kubernetes.Interface }

func onNode(node string) metav1.ListOptions {
	return metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()}
}

func (p pods) ListOnNode(ctx context.Context, node string) (*v1.PodList, error) {
	return p.c.CoreV1().Pods(metav1.NamespaceAll).List(ctx, onNode(node))
}

func (p pods) WatchOnNode(ctx context.Context, node, resourceVersion string) (watch.Interface, error) {
	opts := onNode(node)
	opts.ResourceVersion = resourceVersion
	return p.c.CoreV1().Pods(metav1.NamespaceAll).Watch(ctx, opts)
}

func (p pods) Create(ctx context.Context, pod *v1.Pod) (*v1.Pod, error) {
	return p.c.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
}

func (p pods) Delete(ctx context.Context, namespace, name string, uid types.UID) error {
	grace := int64(0)
	return p.c.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &grace, Preconditions: &metav1.Preconditions{UID: &uid}})
}

func (p pods) PatchStatus(ctx context.Context, namespace, name string, patch []byte) (*v1.Pod, error) {
	return p.c.CoreV1().Pods(namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
}
