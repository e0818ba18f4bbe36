package prober

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// target is the container a probe or handler is aimed at.
type target struct {
	pod         *v1.Pod
	podIP       string
	container   *v1.Container
	containerID string
}

// hostLoopback is where a hostNetwork pod is reached when the sync loop
// has no address for it: such a pod shares the node's network namespace,
// in which the agent runs too.
const hostLoopback = "127.0.0.1"

// errNoPodIP is returned while a pod on the pod network has no address.
var errNoPodIP = errors.New("the pod has no IP address yet")

// host is the address probes without an explicit host go to: the pod IP,
// or the node itself for hostNetwork pods.
func (t target) host() (string, error) {
	switch {
	case t.podIP != "":
		return t.podIP, nil
	case t.pod != nil && t.pod.Spec.HostNetwork:
		return hostLoopback, nil
	default:
		return "", errNoPodIP
	}
}

// address joins the explicit host (or the default one) with the port.
func (t target) address(explicitHost string, port int) (string, error) {
	host := explicitHost
	if host == "" {
		var err error
		if host, err = t.host(); err != nil {
			return "", err
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// resolvePort turns a probe's port into a number: an integer as it is, a
// string either as a number or as the name of one of the container's
// ports, which is what lets `port: http` follow a renumbered containerPort.
func resolvePort(field string, port intstr.IntOrString, c *v1.Container) (int, error) {
	number := port.IntValue()
	if port.Type == intstr.String {
		if n, err := strconv.Atoi(port.StrVal); err == nil {
			number = n
		} else {
			named, ok := namedPort(c, port.StrVal)
			if !ok {
				return 0, fmt.Errorf("%s: container %s has no port named %q: add it under ports with a containerPort, or give the number",
					field, c.Name, port.StrVal)
			}
			number = named
		}
	}
	if number < 1 || number > 65535 {
		return 0, fmt.Errorf("%s: port %s is out of range: give 1-65535 or a port name", field, port.String())
	}
	return number, nil
}

func namedPort(c *v1.Container, name string) (int, bool) {
	for _, p := range c.Ports {
		if p.Name == name {
			return int(p.ContainerPort), true
		}
	}
	return 0, false
}
