package apiserver

import (
	"fmt"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/minikubelet/minikubelet/kubelet/atomicfile"
)

// AdminKubeconfigName is the admin kubeconfig's file name in the root
// directory, as k3s writes k3s.yaml.
const AdminKubeconfigName = "admin.kubeconfig"

// WriteAdminKubeconfig writes a kubeconfig (mode 0600) that reaches the
// API at serverURL as its administrator: the server's certificate to
// trust and the token. kubectl and minikubelet's CLI both read it.
func WriteAdminKubeconfig(path, serverURL, nodeName string, creds Credentials) error {
	name := "minikubelet-" + nodeName
	config := clientcmdapi.NewConfig()
	cluster := clientcmdapi.NewCluster()
	cluster.Server = serverURL
	if !strings.HasPrefix(serverURL, unixPrefix) {
		cluster.CertificateAuthorityData = creds.CAData
	}
	config.Clusters[name] = cluster
	user := clientcmdapi.NewAuthInfo()
	user.Token = creds.Token
	config.AuthInfos[name+"-admin"] = user
	context := clientcmdapi.NewContext()
	context.Cluster, context.AuthInfo, context.Namespace = name, name+"-admin", "default"
	config.Contexts[name] = context
	config.CurrentContext = name
	data, err := clientcmd.Write(*config)
	if err != nil {
		return fmt.Errorf("encoding the admin kubeconfig: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("writing the admin kubeconfig: %w", err)
	}
	return nil
}
