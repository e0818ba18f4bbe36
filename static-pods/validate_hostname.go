package staticpods

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateHostnames checks the names the agent gives the pod's host and
// writes into its /etc/hosts, as the API server does: hostname and
// subdomain are DNS labels, hostnameOverride a DNS subdomain that a
// host-network pod (which keeps the node's name) or setHostnameAsFQDN
// cannot use. Unchecked, a newline in one of them would add a line to the
// pod's /etc/hosts, and sethostname takes any bytes.
func validateHostnames(spec *v1.PodSpec, path *field.Path) []problem {
	var problems []problem
	for _, name := range []struct {
		field, value string
	}{{"hostname", spec.Hostname}, {"subdomain", spec.Subdomain}} {
		if name.value == "" {
			continue
		}
		if msgs := validation.IsDNS1123Label(name.value); len(msgs) > 0 {
			problems = append(problems, badName(path.Child(name.field), name.value, name.field, msgs))
		}
	}
	if spec.HostnameOverride == nil {
		return problems
	}
	override, overridePath := *spec.HostnameOverride, path.Child("hostnameOverride")
	if msgs := validation.IsDNS1123Subdomain(override); len(msgs) > 0 {
		problems = append(problems, badName(overridePath, override, "hostname override", msgs))
	}
	if spec.HostNetwork {
		problems = append(problems, forbidden(overridePath, "a host-network pod has the node's hostname; remove hostnameOverride or hostNetwork"))
	}
	if spec.SetHostnameAsFQDN != nil && *spec.SetHostnameAsFQDN {
		problems = append(problems, forbidden(overridePath, "hostnameOverride is the whole hostname; remove it or setHostnameAsFQDN"))
	}
	return problems
}
