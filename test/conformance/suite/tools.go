//go:build tools

// Package suite pins the upstream e2e suite and the agnhost image's sources
// at the Kubernetes version the cluster test bed runs; see ../README.md.
package suite

import (
	_ "k8s.io/kubernetes/test/e2e"
	_ "k8s.io/kubernetes/test/images/agnhost"
	_ "k8s.io/kubernetes/test/images/nonewprivs"

	// ginkgo runs the suite's specs in parallel processes.
	_ "github.com/onsi/ginkgo/v2/ginkgo"
)
