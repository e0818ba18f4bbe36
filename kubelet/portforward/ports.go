package portforward

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// PortSpec is one "[LOCAL:]REMOTE[/PROTOCOL]" argument as the user wrote
// it: REMOTE is a number or a container port's name; LOCAL 0 or empty
// picks a free port; PROTOCOL is tcp or udp.
type PortSpec struct {
	// Local is the local port; 0 picks a free one (":REMOTE", "0:REMOTE").
	Local uint16
	// LocalGiven says Local was written, so it does not follow a named
	// REMOTE's number.
	LocalGiven bool
	// Remote is the pod's port: a number or a container port name.
	Remote string
	// Protocol is the protocol written after "/", or "" for the default.
	Protocol v1.Protocol
}

// ParsePortSpec parses one port argument of `port-forward`.
func ParsePortSpec(text string) (PortSpec, error) {
	var spec PortSpec
	rest := text
	if before, proto, ok := strings.Cut(rest, "/"); ok {
		switch strings.ToLower(proto) {
		case "tcp":
			spec.Protocol = v1.ProtocolTCP
		case "udp":
			spec.Protocol = v1.ProtocolUDP
		default:
			return PortSpec{}, fmt.Errorf("port %q: protocol %q is not tcp or udp", text, proto)
		}
		rest = before
	}
	local, remote, hasLocal := strings.Cut(rest, ":")
	if !hasLocal {
		local, remote = "", rest
	}
	if remote == "" {
		return PortSpec{}, fmt.Errorf("port %q: no remote port; write [LOCAL:]REMOTE, e.g. 8080:80, :80 or http", text)
	}
	if _, err := strconv.Atoi(remote); err == nil {
		if _, err := portNumber(remote); err != nil {
			return PortSpec{}, fmt.Errorf("port %q: remote %w", text, err)
		}
	} else if !isPortName(remote) {
		return PortSpec{}, fmt.Errorf("port %q: remote %q is neither a port number nor a container port name (lower-case letters, digits and '-')", text, remote)
	}
	spec.Remote = remote
	if hasLocal {
		spec.LocalGiven = true
		if local != "" && local != "0" {
			n, err := portNumber(local)
			if err != nil {
				return PortSpec{}, fmt.Errorf("port %q: local %w", text, err)
			}
			spec.Local = n
		}
	}
	return spec, nil
}

func portNumber(text string) (uint16, error) {
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", text)
	}
	return uint16(n), nil
}

// isPortName accepts IANA service names as Kubernetes uses them for
// container ports; the pod's spec, not this check, decides existence.
func isPortName(text string) bool {
	if len(text) == 0 || len(text) > 15 {
		return false
	}
	for _, r := range text {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// forwarding is one resolved forwarding: a local port to a pod port over one
// protocol.
type forwarding struct {
	// Local is the local port; 0 until a free one is picked.
	Local uint16
	// Remote is the pod's port number.
	Remote int32
	// Protocol is TCP or UDP.
	Protocol v1.Protocol
}

// resolveForwards turns the user's specs into forwardings against the
// pod's declared ports: a named port takes its number and protocol, a
// number is TCP unless written /udp, and alsoUDP (--udp) adds UDP for
// every port not written with a protocol.
func resolveForwards(specs []PortSpec, pod *v1.Pod, alsoUDP bool) ([]forwarding, error) {
	var forwards []forwarding
	for _, spec := range specs {
		remote, declared, err := remotePort(spec.Remote, pod)
		if err != nil {
			return nil, err
		}
		local := spec.Local
		if !spec.LocalGiven {
			local = uint16(remote)
		}
		protocols := []v1.Protocol{v1.ProtocolTCP}
		switch {
		case spec.Protocol != "":
			protocols = []v1.Protocol{spec.Protocol}
		case declared != "":
			protocols = []v1.Protocol{declared}
		}
		if alsoUDP && spec.Protocol == "" && !slices.Contains(protocols, v1.ProtocolUDP) {
			protocols = append(protocols, v1.ProtocolUDP)
		}
		for _, proto := range protocols {
			if proto != v1.ProtocolTCP && proto != v1.ProtocolUDP {
				return nil, fmt.Errorf("port %q of pod %s/%s is %s; only TCP and UDP can be forwarded", spec.Remote, pod.Namespace, pod.Name, proto)
			}
			forwards = append(forwards, forwarding{Local: local, Remote: remote, Protocol: proto})
		}
	}
	return forwards, nil
}

// remotePort resolves a number or a container port name; for a name it
// also returns the declared protocol.
func remotePort(remote string, pod *v1.Pod) (int32, v1.Protocol, error) {
	if n, err := strconv.Atoi(remote); err == nil {
		return int32(n), "", nil
	}
	var names []string
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == remote {
				proto := p.Protocol
				if proto == "" {
					proto = v1.ProtocolTCP
				}
				return p.ContainerPort, proto, nil
			}
			if p.Name != "" {
				names = append(names, p.Name)
			}
		}
	}
	if len(names) == 0 {
		return 0, "", fmt.Errorf("pod %s/%s has no port named %q: its containers name no ports; give a number", pod.Namespace, pod.Name, remote)
	}
	return 0, "", fmt.Errorf("pod %s/%s has no port named %q; named ports: %s", pod.Namespace, pod.Name, remote, strings.Join(names, ", "))
}
