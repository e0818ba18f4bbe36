package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"

	"github.com/minikubelet/minikubelet/kubelet/agent"
)

// tableAccept asks for a server-side Table, as `kubectl get` does.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

// nodeAPICommands are the kubectl-style verbs against the node API.
func nodeAPICommands() []*cobra.Command {
	return []*cobra.Command{
		newGetCommand(), newDescribeCommand(), newCreateCommand(), newApplyCommand(),
		newDeleteCommand(), newVersionCommand(),
	}
}

// apiFlags are the connection flags every API command shares, with
// kubectl's names.
type apiFlags struct {
	server    string
	namespace string
	token     string
	caFile    string
	insecure  bool
}

func (f *apiFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.server, "server", "http://"+agent.DefaultOptions().Listen, "URL of the node API (minikubelet run --listen), or unix:///PATH")
	fs.StringVarP(&f.namespace, "namespace", "n", "default", "namespace of the pods")
	fs.StringVar(&f.token, "token", "", "bearer token, when the agent runs with --token-file")
	fs.StringVar(&f.caFile, "certificate-authority", "", "CA certificate file to check an HTTPS server with")
	fs.BoolVar(&f.insecure, "insecure-skip-tls-verify", false, "do not check the HTTPS server's certificate (insecure)")
}

// client builds client-go's REST client for the core v1 API, the same
// machinery kubectl uses; a unix:// server is dialed as a socket.
func (f *apiFlags) client() (*rest.RESTClient, error) {
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	metav1.AddMetaToScheme(scheme)
	cfg := &rest.Config{
		Host: f.server, APIPath: "/api", BearerToken: f.token, UserAgent: "minikubelet-cli",
		TLSClientConfig: rest.TLSClientConfig{CAFile: f.caFile, Insecure: f.insecure},
		ContentConfig: rest.ContentConfig{
			GroupVersion:         &v1.SchemeGroupVersion,
			NegotiatedSerializer: serializer.NewCodecFactory(scheme).WithoutConversion(),
		},
	}
	if path, ok := strings.CutPrefix(f.server, "unix://"); ok {
		cfg.Host = "http://localhost"
		cfg.Dial = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}
	}
	client, err := rest.RESTClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("--server %q: %w", f.server, err)
	}
	return client, nil
}

// getPod fetches one pod.
func getPod(ctx context.Context, client *rest.RESTClient, namespace, name string) (*v1.Pod, error) {
	raw, err := doRaw(client.Get().Namespace(namespace).Resource("pods").Name(name).Do(ctx))
	if err != nil {
		return nil, err
	}
	var pod v1.Pod
	if err := json.Unmarshal(raw, &pod); err != nil {
		return nil, fmt.Errorf("decoding pod %s/%s: %w", namespace, name, err)
	}
	return &pod, nil
}

// listPods fetches pods; namespace "" lists all namespaces.
func listPods(ctx context.Context, client *rest.RESTClient, namespace, selector, fieldSelector string) (*v1.PodList, error) {
	req := client.Get().Resource("pods").Param("labelSelector", selector).Param("fieldSelector", fieldSelector)
	if namespace != "" {
		req = req.Namespace(namespace)
	}
	raw, err := doRaw(req.Do(ctx))
	if err != nil {
		return nil, err
	}
	var list v1.PodList
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("decoding the pod list: %w", err)
	}
	return &list, nil
}

// watchEvent is one line of a watch stream, its object left raw so it can
// be a Pod or a Table.
type watchEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// doRaw returns a response's body, or its error as the API Status the
// server sent (Raw alone gives a generic error for a failed request).
func doRaw(result rest.Result) ([]byte, error) {
	body, err := result.Raw()
	if err != nil {
		return nil, result.Error()
	}
	return body, nil
}
