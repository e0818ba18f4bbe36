package translate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EnvVar is one environment variable, in the order it is set.
type EnvVar struct{ Name, Value string }

// ServicesForPod picks, from every Service the node knows, the ones whose
// variables a pod in namespace sees, as the kubelet does: the API server's
// own ("kubernetes" in default) always, and with enableServiceLinks (the
// default) every Service of the pod's namespace, which wins over the API
// server's if it has its name; never one without a cluster IP (headless). Sorted by name, so the order is the same on
// every start.
func ServicesForPod(all []*v1.Service, namespace string, enableServiceLinks *bool) []*v1.Service {
	links := enableServiceLinks == nil || *enableServiceLinks
	byName := map[string]*v1.Service{}
	for _, s := range all {
		if !hasClusterIP(s) {
			continue
		}
		switch {
		case s.Namespace == metav1.NamespaceDefault && s.Name == "kubernetes":
			if _, taken := byName[s.Name]; !taken {
				byName[s.Name] = s
			}
		case s.Namespace == namespace && links:
			byName[s.Name] = s
		}
	}
	out := make([]*v1.Service, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func hasClusterIP(s *v1.Service) bool {
	ip := s.Spec.ClusterIP
	return ip != "" && ip != v1.ClusterIPNone && len(s.Spec.Ports) > 0
}

// ServiceEnv are the variables of services, as the kubelet and Docker links
// name them: NAME_SERVICE_HOST, NAME_SERVICE_PORT (the first port),
// NAME_SERVICE_PORT_<PORT NAME> for each named port, NAME_PORT (the first
// port as proto://ip:port) and for each port NAME_PORT_<n>_<PROTO> with
// its _PROTO, _PORT and _ADDR.
func ServiceEnv(services []*v1.Service) []EnvVar {
	var out []EnvVar
	for _, s := range services {
		if !hasClusterIP(s) {
			continue
		}
		prefix := serviceEnvName(s.Name)
		ip := s.Spec.ClusterIP
		out = append(out,
			EnvVar{prefix + "_SERVICE_HOST", ip},
			EnvVar{prefix + "_SERVICE_PORT", strconv.Itoa(int(s.Spec.Ports[0].Port))})
		for _, p := range s.Spec.Ports {
			if p.Name != "" {
				out = append(out, EnvVar{prefix + "_SERVICE_PORT_" + serviceEnvName(p.Name), strconv.Itoa(int(p.Port))})
			}
		}
		for i, p := range s.Spec.Ports {
			proto := string(p.Protocol)
			if proto == "" {
				proto = string(v1.ProtocolTCP)
			}
			port := strconv.Itoa(int(p.Port))
			url := strings.ToLower(proto) + "://" + hostPort(ip, port)
			if i == 0 {
				out = append(out, EnvVar{prefix + "_PORT", url})
			}
			portPrefix := fmt.Sprintf("%s_PORT_%s_%s", prefix, port, strings.ToUpper(proto))
			out = append(out,
				EnvVar{portPrefix, url},
				EnvVar{portPrefix + "_PROTO", strings.ToLower(proto)},
				EnvVar{portPrefix + "_PORT", port},
				EnvVar{portPrefix + "_ADDR", ip})
		}
	}
	return out
}

func serviceEnvName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }

// hostPort is net.JoinHostPort, which this package may not import: an
// IPv6 address in brackets.
func hostPort(ip, port string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:" + port
	}
	return ip + ":" + port
}
