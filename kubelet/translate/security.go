package translate

import (
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ContainerSecurityContext merges the pod's and the container's security
// settings into the runtime's terms; where both set a field, the
// container's wins. The pod's fsGroup joins the supplemental groups, so
// the container can use volumes given to that group.
func ContainerSecurityContext(pod *v1.Pod, c *v1.Container) *runtimeapi.LinuxContainerSecurityContext {
	sc := &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: NamespaceOptions(pod)}
	if p := pod.Spec.SecurityContext; p != nil {
		sc.RunAsUser = int64Value(p.RunAsUser, sc.RunAsUser)
		sc.RunAsGroup = int64Value(p.RunAsGroup, sc.RunAsGroup)
		sc.SupplementalGroups = append(sc.SupplementalGroups, p.SupplementalGroups...)
		if p.FSGroup != nil {
			sc.SupplementalGroups = append(sc.SupplementalGroups, *p.FSGroup)
		}
		sc.Seccomp = seccompProfile(p.SeccompProfile, sc.Seccomp)
	}
	if s := c.SecurityContext; s != nil {
		sc.RunAsUser = int64Value(s.RunAsUser, sc.RunAsUser)
		sc.RunAsGroup = int64Value(s.RunAsGroup, sc.RunAsGroup)
		if s.Privileged != nil {
			sc.Privileged = *s.Privileged
		}
		if s.ReadOnlyRootFilesystem != nil {
			sc.ReadonlyRootfs = *s.ReadOnlyRootFilesystem
		}
		if s.AllowPrivilegeEscalation != nil {
			sc.NoNewPrivs = !*s.AllowPrivilegeEscalation
		}
		if s.Capabilities != nil {
			sc.Capabilities = capabilities(s.Capabilities)
		}
		sc.Seccomp = seccompProfile(s.SeccompProfile, sc.Seccomp)
	}
	return sc
}

// SandboxSecurityContext is the sandbox's share of the pod's security
// settings. A pod with a privileged container, init containers included,
// needs a privileged sandbox, as the kubelet makes it.
func SandboxSecurityContext(pod *v1.Pod) *runtimeapi.LinuxSandboxSecurityContext {
	sc := &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: NamespaceOptions(pod)}
	for _, list := range [][]v1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
				sc.Privileged = true
			}
		}
	}
	if p := pod.Spec.SecurityContext; p != nil {
		sc.RunAsUser = int64Value(p.RunAsUser, nil)
		sc.RunAsGroup = int64Value(p.RunAsGroup, nil)
		sc.SupplementalGroups = p.SupplementalGroups
	}
	return sc
}

// Sysctls are the pod's sysctls by name, nil when it sets none.
func Sysctls(pod *v1.Pod) map[string]string {
	if pod.Spec.SecurityContext == nil || len(pod.Spec.SecurityContext.Sysctls) == 0 {
		return nil
	}
	out := make(map[string]string, len(pod.Spec.SecurityContext.Sysctls))
	for _, s := range pod.Spec.SecurityContext.Sysctls {
		out[s.Name] = s.Value
	}
	return out
}

// int64Value is v in the runtime's terms, or fallback when v is unset.
func int64Value(v *int64, fallback *runtimeapi.Int64Value) *runtimeapi.Int64Value {
	if v == nil {
		return fallback
	}
	return &runtimeapi.Int64Value{Value: *v}
}

func capabilities(caps *v1.Capabilities) *runtimeapi.Capability {
	out := &runtimeapi.Capability{}
	for _, a := range caps.Add {
		out.AddCapabilities = append(out.AddCapabilities, string(a))
	}
	for _, d := range caps.Drop {
		out.DropCapabilities = append(out.DropCapabilities, string(d))
	}
	return out
}

// seccompProfile maps a seccomp profile, or keeps fallback (the pod's, for
// a container) when p is unset.
func seccompProfile(p *v1.SeccompProfile, fallback *runtimeapi.SecurityProfile) *runtimeapi.SecurityProfile {
	if p == nil {
		return fallback
	}
	switch p.Type {
	case v1.SeccompProfileTypeRuntimeDefault:
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}
	case v1.SeccompProfileTypeLocalhost:
		ref := ""
		if p.LocalhostProfile != nil {
			ref = *p.LocalhostProfile
		}
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: ref}
	default:
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}
	}
}
