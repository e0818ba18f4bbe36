package portforward

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// requestedPorts reads the port query parameters WebSocket clients send
// (port=8080&port=http or port=8080,9090; SPDY clients name ports per
// stream instead) and resolves named ports against the pod's container
// ports, which the runtime cannot do. It returns the numbers and the query
// rewritten to carry them.
func requestedPorts(query url.Values, declared []v1.ContainerPort) ([]int32, url.Values, error) {
	var ports []int32
	for _, value := range query[v1.PortHeader] {
		for _, text := range strings.Split(value, ",") {
			port, err := resolveRemotePort(strings.TrimSpace(text), declared)
			if err != nil {
				return nil, nil, err
			}
			ports = append(ports, port)
		}
	}
	rewritten := url.Values{}
	for key, values := range query {
		rewritten[key] = slices.Clone(values)
	}
	if len(ports) > 0 {
		rewritten[v1.PortHeader] = nil
		for _, port := range ports {
			rewritten.Add(v1.PortHeader, strconv.Itoa(int(port)))
		}
	}
	return ports, rewritten, nil
}

// resolveRemotePort turns "8080" or a TCP container port's name into a
// port number.
func resolveRemotePort(text string, declared []v1.ContainerPort) (int32, error) {
	if n, err := strconv.Atoi(text); err == nil {
		if n < 1 || n > 65535 {
			return 0, fmt.Errorf("port %d is out of range: use 1-65535", n)
		}
		return int32(n), nil
	}
	var names []string
	for _, p := range declared {
		if p.Name == "" {
			continue
		}
		if p.Name == text {
			if p.Protocol != "" && p.Protocol != v1.ProtocolTCP {
				return 0, fmt.Errorf("port %q is %s; the runtime's tunnel carries TCP only (minikubelet port-forward forwards UDP straight to the pod IP)", text, p.Protocol)
			}
			return p.ContainerPort, nil
		}
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return 0, fmt.Errorf("port %q is neither a number nor a named port: the pod's containers name no ports", text)
	}
	return 0, fmt.Errorf("port %q is neither a number nor a named port of the pod (named ports: %s)", text, strings.Join(names, ", "))
}
