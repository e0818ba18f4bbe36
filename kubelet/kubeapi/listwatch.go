package kubeapi

import "k8s.io/client-go/tools/cache"

// ListThenWatch keeps a client-go informer to a plain list and watch: a
// node reads few objects, where a streamed watch-list saves nothing, and
// the plain calls are the ones the Node authorizer and RBAC rules name.
type ListThenWatch struct{ *cache.ListWatch }

// IsWatchListSemanticsUnSupported tells the reflector not to use
// watch-list.
func (ListThenWatch) IsWatchListSemanticsUnSupported() bool { return true }
