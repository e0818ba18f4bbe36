package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/minikubelet/minikubelet/kubelet/agent"
	"github.com/minikubelet/minikubelet/kubelet/apiclient"
)

// nodeAPICommands are the kubectl-style verbs against the node API.
func nodeAPICommands() []*cobra.Command {
	return []*cobra.Command{
		newGetCommand(), newDescribeCommand(), newCreateCommand(), newApplyCommand(),
		newEditCommand(), newDiffCommand(), newTopCommand(),
		newDeleteCommand(), newVersionCommand(),
		newExecCommand(), newAttachCommand(), newCopyCommand(),
	}
}

// apiFlags are the connection flags every API command shares, with
// kubectl's names.
type apiFlags struct {
	conn apiclient.Connection
}

func (f *apiFlags) bind(fs *pflag.FlagSet) {
	f.conn.DefaultKubeconfig = agent.DefaultOptions().AdminKubeconfigPath()
	fs.StringVar(&f.conn.Kubeconfig, "kubeconfig", "", "kubeconfig file; default $KUBECONFIG, then "+f.conn.DefaultKubeconfig+" (written by the agent, readable by root)")
	fs.StringVar(&f.conn.Server, "server", "", "URL of the node API (https://HOST:PORT or unix:///PATH), overriding the kubeconfig's")
	fs.StringVarP(&f.conn.Namespace, "namespace", "n", "", "namespace of the pods (default: the kubeconfig context's, else default)")
	fs.StringVar(&f.conn.Token, "token", "", "bearer token, overriding the kubeconfig's")
	fs.StringVar(&f.conn.CAFile, "certificate-authority", "", "CA certificate file to check the server with, overriding the kubeconfig's")
	fs.StringVar(&f.conn.TLSServerName, "tls-server-name", "", "name to check the server's certificate against, when it is not the server's address (e.g. localhost through a relay)")
	fs.BoolVar(&f.conn.Insecure, "insecure-skip-tls-verify", false, "do not check the server's certificate (insecure)")
}
