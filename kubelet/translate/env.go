package translate

import (
	"fmt"
	"slices"
	"sort"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Env is a container's environment, resolved as the kubelet does. Its
// zero value is an empty environment.
type Env struct {
	vars  []*runtimeapi.KeyValue
	index map[string]int
	// skipped are envFrom keys that are no variable name.
	skipped []string
	// bytes is the size of the names and values, against MaxEnvBytes.
	bytes int
}

// Lookup returns the value of the named variable, for $(NAME) expansion
// in command, args and subPathExpr.
func (e Env) Lookup(name string) (string, bool) {
	i, ok := e.index[name]
	if !ok {
		return "", false
	}
	return string(e.vars[i].Value), true
}

// KeyValues returns the variables as the runtime takes them: each name
// once, where it was first set, with the value it was set to last.
func (e Env) KeyValues() []*runtimeapi.KeyValue { return e.vars }

// Skipped are the keys envFrom found that are not variable names, which
// the container goes without, as the kubelet skipped them.
func (e Env) Skipped() []string { return e.skipped }

func (e *Env) set(name, value string) {
	if i, ok := e.index[name]; ok {
		e.bytes += len(value) - len(e.vars[i].Value)
		e.vars[i].Value = []byte(value)
		return
	}
	e.bytes += len(name) + len(value)
	if e.index == nil {
		e.index = map[string]int{}
	}
	e.index[name] = len(e.vars)
	e.vars = append(e.vars, &runtimeapi.KeyValue{Key: name, Value: []byte(value)})
}

// ContainerEnv resolves the container's environment as the kubelet's
// makeEnvironmentVariables does: envFrom first, then env in order, each
// replacing what came before under the same name, and each value may refer
// to the ones before it, or to a service's variable, with $(NAME); then
// the variables of the services the pod sees (objects.Services), each
// unless the container set it. podIPs are the sandbox's; objects
// are the ConfigMaps and Secrets the container names (EnvObjectNames).
// A missing object or key is an error unless the reference is optional,
// when the variables it would give are left out.
func ContainerEnv(node Node, pod *v1.Pod, c *v1.Container, podIPs []string, objects EnvObjects) (Env, error) {
	var env Env
	tooLarge := func(field string) error {
		return fmt.Errorf("container %s %s: the environment is over %d KiB; a process cannot start with it (execve takes 2 MiB with the arguments): "+
			"put large values in a volume", c.Name, field, MaxEnvBytes/1024)
	}
	serviceEnv := ServiceEnv(objects.Services)
	serviceVars := make(map[string]string, len(serviceEnv))
	for _, v := range serviceEnv {
		serviceVars[v.Name] = v.Value
	}
	for i := range c.EnvFrom {
		if err := addEnvFrom(&env, pod, &c.EnvFrom[i], objects); err != nil {
			return Env{}, fmt.Errorf("container %s envFrom[%d]: %w", c.Name, i, err)
		}
		if env.bytes > MaxEnvBytes {
			return Env{}, tooLarge(fmt.Sprintf("envFrom[%d]", i))
		}
	}
	for i, e := range c.Env {
		// Each $(NAME) copies a value: bounded, so references cannot
		// multiply a large value without end.
		budget := MaxEnvBytes - env.bytes
		value := ExpandVars(e.Value, func(name string) (string, bool) {
			v, ok := env.Lookup(name)
			if !ok {
				v, ok = serviceVars[name]
			}
			if budget -= len(v); budget < 0 {
				return "", true
			}
			return v, ok
		})
		if budget < 0 {
			return Env{}, tooLarge(fmt.Sprintf("env[%d] (%s)", i, e.Name))
		}
		if e.Value == "" && e.ValueFrom != nil {
			var err error
			var found bool
			value, found, err = envValueFrom(node, pod, c, e.ValueFrom, podIPs, objects)
			if err != nil {
				return Env{}, fmt.Errorf("container %s env[%d] (%s): %w", c.Name, i, e.Name, err)
			}
			if !found {
				continue // optional, and absent: the kubelet sets nothing
			}
		}
		env.set(e.Name, value)
		if env.bytes > MaxEnvBytes {
			return Env{}, tooLarge(fmt.Sprintf("env[%d] (%s)", i, e.Name))
		}
	}
	// Services' variables come last and never replace the container's own.
	for _, v := range serviceEnv {
		if _, set := env.Lookup(v.Name); set {
			continue
		}
		env.set(v.Name, v.Value)
		if env.bytes > MaxEnvBytes {
			return Env{}, tooLarge("service variables (set enableServiceLinks: false)")
		}
	}
	return env, nil
}

// MaxEnvBytes bounds a container's environment (names and values): the
// kernel refuses to start a process whose arguments and environment pass
// 2 MiB, and a pod must not make the agent copy a ConfigMap's megabyte
// thousands of times.
const MaxEnvBytes = 1 << 20

// addEnvFrom adds every key of the ConfigMap or Secret, in key order, with
// the prefix.
func addEnvFrom(env *Env, pod *v1.Pod, from *v1.EnvFromSource, objects EnvObjects) error {
	var data map[string]string
	switch {
	case from.ConfigMapRef != nil:
		cm, ok := objects.ConfigMaps[from.ConfigMapRef.Name]
		if !ok {
			return optionalOrMissing(from.ConfigMapRef.Optional, "configMapRef", "ConfigMap", pod.Namespace, from.ConfigMapRef.Name)
		}
		data = cm.Data
	case from.SecretRef != nil:
		secret, ok := objects.Secrets[from.SecretRef.Name]
		if !ok {
			return optionalOrMissing(from.SecretRef.Optional, "secretRef", "Secret", pod.Namespace, from.SecretRef.Name)
		}
		data = make(map[string]string, len(secret.Data))
		for k, v := range secret.Data {
			data[k] = string(v)
		}
	default:
		return fmt.Errorf("names neither a configMapRef nor a secretRef")
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := from.Prefix + k
		// The API server's own rule for names since Kubernetes 1.34.
		if len(validation.IsRelaxedEnvVarName(name)) > 0 {
			env.skipped = append(env.skipped, name)
			continue
		}
		env.set(name, data[k])
	}
	return nil
}

// optionalOrMissing is nil for an optional reference, else the error that
// names the object and the two fixes.
func optionalOrMissing(optional *bool, field, kind, namespace, name string) error {
	if optional != nil && *optional {
		return nil
	}
	return fmt.Errorf("%s: %s %s/%s not found; create it, or set %s.optional: true", field, kind, namespace, name, field)
}

// envValueFrom resolves one valueFrom; found is false when an optional
// object or key is absent.
func envValueFrom(node Node, pod *v1.Pod, c *v1.Container, from *v1.EnvVarSource, podIPs []string, objects EnvObjects) (value string, found bool, err error) {
	switch {
	case from.FieldRef != nil:
		value, err = podField(node, pod, from.FieldRef.FieldPath, podIPs)
		return value, err == nil, err
	case from.ResourceFieldRef != nil:
		return resourceField(c, from.ResourceFieldRef, node.Allocatable), true, nil
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		cm, ok := objects.ConfigMaps[ref.Name]
		if !ok {
			return "", false, optionalOrMissing(ref.Optional, "configMapKeyRef", "ConfigMap", pod.Namespace, ref.Name)
		}
		value, ok = cm.Data[ref.Key]
		if !ok {
			return "", false, keyOptionalOrMissing(ref.Optional, "configMapKeyRef", "ConfigMap", pod.Namespace, ref.Name, ref.Key, keysOf(cm.Data))
		}
		return value, true, nil
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		secret, ok := objects.Secrets[ref.Name]
		if !ok {
			return "", false, optionalOrMissing(ref.Optional, "secretKeyRef", "Secret", pod.Namespace, ref.Name)
		}
		data, ok := secret.Data[ref.Key]
		if !ok {
			// A Secret's other key names are not shown: the message
			// reaches pod status and events, which more users may read.
			return "", false, keyOptionalOrMissing(ref.Optional, "secretKeyRef", "Secret", pod.Namespace, ref.Name, ref.Key, nil)
		}
		return string(data), true, nil
	default:
		return "", false, fmt.Errorf("fileKeyRef is not supported; set the value with env[].value")
	}
}

func keyOptionalOrMissing(optional *bool, field, kind, namespace, name, key string, keys []string) error {
	if optional != nil && *optional {
		return nil
	}
	shown := ""
	if keys != nil {
		shown = fmt.Sprintf(" (its keys: %v)", keys)
	}
	return fmt.Errorf("%s: %s %s/%s has no key %q%s; add the key, fix %s.key, or set %s.optional: true",
		field, kind, namespace, name, key, shown, field, field)
}

// maxKeysShown bounds the keys an error lists.
const maxKeysShown = 10

// keysOf lists the object's keys for an error, the first maxKeysShown.
func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > maxKeysShown {
		keys = append(keys[:maxKeysShown], "…")
	}
	return keys
}
