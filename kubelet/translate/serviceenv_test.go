package translate

import (
	"reflect"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func service(namespace, name, ip string, ports ...v1.ServicePort) *v1.Service {
	return &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: v1.ServiceSpec{ClusterIP: ip, Ports: ports}}
}

func TestServicesForPod(t *testing.T) {
	port := v1.ServicePort{Port: 80}
	all := []*v1.Service{
		service("default", "kubernetes", "10.0.0.1", v1.ServicePort{Port: 443}),
		service("app", "web", "10.0.0.20", port),
		service("app", "db", "10.0.0.21", port),
		service("app", "headless", v1.ClusterIPNone, port),
		service("other", "web", "10.0.0.30", port),
		service("app", "kubernetes", "10.0.0.40", port),
	}
	off, on := false, true
	names := func(services []*v1.Service) (out []string) {
		for _, s := range services {
			out = append(out, s.Namespace+"/"+s.Name)
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		links *bool
		want  []string
	}{
		// A namesake in the pod's namespace wins over the API server's own,
		// as in the kubelet.
		{"links unset: the namespace's services, sorted", nil, []string{"app/db", "app/kubernetes", "app/web"}},
		{"links on", &on, []string{"app/db", "app/kubernetes", "app/web"}},
		{"links off: only the API server's", &off, []string{"default/kubernetes"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(ServicesForPod(all, "app", tt.links)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestServiceEnv(t *testing.T) {
	s := service("app", "fooservice", "10.0.0.5",
		v1.ServicePort{Name: "http-port", Port: 8765, Protocol: v1.ProtocolTCP},
		v1.ServicePort{Port: 53, Protocol: v1.ProtocolUDP})
	got := map[string]string{}
	var order []string
	for _, v := range ServiceEnv([]*v1.Service{s, service("app", "v6-svc", "fd00::5", v1.ServicePort{Port: 80})}) {
		got[v.Name] = v.Value
		order = append(order, v.Name)
	}
	want := map[string]string{
		"FOOSERVICE_SERVICE_HOST":           "10.0.0.5",
		"FOOSERVICE_SERVICE_PORT":           "8765",
		"FOOSERVICE_SERVICE_PORT_HTTP_PORT": "8765",
		"FOOSERVICE_PORT":                   "tcp://10.0.0.5:8765",
		"FOOSERVICE_PORT_8765_TCP":          "tcp://10.0.0.5:8765",
		"FOOSERVICE_PORT_8765_TCP_PROTO":    "tcp",
		"FOOSERVICE_PORT_8765_TCP_PORT":     "8765",
		"FOOSERVICE_PORT_8765_TCP_ADDR":     "10.0.0.5",
		"FOOSERVICE_PORT_53_UDP":            "udp://10.0.0.5:53",
		"FOOSERVICE_PORT_53_UDP_PROTO":      "udp",
		"FOOSERVICE_PORT_53_UDP_PORT":       "53",
		"FOOSERVICE_PORT_53_UDP_ADDR":       "10.0.0.5",
		"V6_SVC_SERVICE_HOST":               "fd00::5",
		"V6_SVC_SERVICE_PORT":               "80",
		"V6_SVC_PORT":                       "tcp://[fd00::5]:80",
		"V6_SVC_PORT_80_TCP":                "tcp://[fd00::5]:80",
		"V6_SVC_PORT_80_TCP_PROTO":          "tcp",
		"V6_SVC_PORT_80_TCP_PORT":           "80",
		"V6_SVC_PORT_80_TCP_ADDR":           "fd00::5",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if order[0] != "FOOSERVICE_SERVICE_HOST" {
		t.Errorf("first variable %s, want the first service's host", order[0])
	}
}

// The container's own variables win over a service's, and may refer to
// one with $(NAME); the service's come after them.
func TestContainerEnvWithServices(t *testing.T) {
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "p"}}
	c := &v1.Container{Name: "c", Env: []v1.EnvVar{
		{Name: "WEB_SERVICE_PORT", Value: "mine"},
		{Name: "URL", Value: "http://$(WEB_SERVICE_HOST):8080"},
	}}
	objects := EnvObjects{Services: []*v1.Service{service("app", "web", "10.0.0.20", v1.ServicePort{Port: 80})}}
	env, err := ContainerEnv(Node{}, pod, c, nil, objects)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := env.Lookup("WEB_SERVICE_PORT"); v != "mine" {
		t.Errorf("WEB_SERVICE_PORT = %q, want the container's own", v)
	}
	if v, _ := env.Lookup("URL"); v != "http://10.0.0.20:8080" {
		t.Errorf("URL = %q, want the service host expanded", v)
	}
	if v, _ := env.Lookup("WEB_PORT_80_TCP_ADDR"); v != "10.0.0.20" {
		t.Errorf("WEB_PORT_80_TCP_ADDR = %q", v)
	}
	if kv := env.KeyValues(); kv[0].Key != "WEB_SERVICE_PORT" || kv[1].Key != "URL" {
		t.Errorf("the container's variables come first, got %s, %s", kv[0].Key, kv[1].Key)
	}
}
