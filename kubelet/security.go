package kubelet

import (
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// securityContext merges the pod's and the container's security settings,
// the container's winning, into the runtime's terms.
func securityContext(pod *v1.Pod, c *v1.Container) *runtimeapi.LinuxContainerSecurityContext {
	sc := &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: namespaceOptions(pod)}
	if p := pod.Spec.SecurityContext; p != nil {
		if p.RunAsUser != nil {
			sc.RunAsUser = &runtimeapi.Int64Value{Value: *p.RunAsUser}
		}
		if p.RunAsGroup != nil {
			sc.RunAsGroup = &runtimeapi.Int64Value{Value: *p.RunAsGroup}
		}
		sc.SupplementalGroups = append(sc.SupplementalGroups, p.SupplementalGroups...)
		if p.FSGroup != nil {
			sc.SupplementalGroups = append(sc.SupplementalGroups, *p.FSGroup)
		}
		sc.Seccomp = seccompProfile(p.SeccompProfile, sc.Seccomp)
	}
	if s := c.SecurityContext; s != nil {
		if s.RunAsUser != nil {
			sc.RunAsUser = &runtimeapi.Int64Value{Value: *s.RunAsUser}
		}
		if s.RunAsGroup != nil {
			sc.RunAsGroup = &runtimeapi.Int64Value{Value: *s.RunAsGroup}
		}
		if s.Privileged != nil {
			sc.Privileged = *s.Privileged
		}
		if s.ReadOnlyRootFilesystem != nil {
			sc.ReadonlyRootfs = *s.ReadOnlyRootFilesystem
		}
		if s.AllowPrivilegeEscalation != nil {
			sc.NoNewPrivs = !*s.AllowPrivilegeEscalation
		}
		if caps := s.Capabilities; caps != nil {
			sc.Capabilities = &runtimeapi.Capability{}
			for _, a := range caps.Add {
				sc.Capabilities.AddCapabilities = append(sc.Capabilities.AddCapabilities, string(a))
			}
			for _, d := range caps.Drop {
				sc.Capabilities.DropCapabilities = append(sc.Capabilities.DropCapabilities, string(d))
			}
		}
		sc.Seccomp = seccompProfile(s.SeccompProfile, sc.Seccomp)
	}
	return sc
}

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
