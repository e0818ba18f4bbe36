// Command kubectl is the real, upstream kubectl, built from the Go module
// proxy so end-to-end tests can check that minikubelet's node API works
// with the client users actually run. It lives in its own module so the
// project's go.mod never carries kubectl's dependency tree.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		// Print the error and exit the way the released kubectl does.
		util.CheckErr(err)
	}
}
