package translate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Env is a container's environment, resolved in spec order. Its zero
// value is an empty environment.
type Env struct {
	vars   []*runtimeapi.KeyValue
	values map[string]string
}

// Lookup returns the value of the named variable, for $(NAME) expansion
// in command, args and subPathExpr.
func (e Env) Lookup(name string) (string, bool) {
	v, ok := e.values[name]
	return v, ok
}

// KeyValues returns the variables in spec order, as the runtime takes
// them; a name set twice appears twice, and the runtime keeps the last.
func (e Env) KeyValues() []*runtimeapi.KeyValue { return e.vars }

// ContainerEnv resolves the container's env in order, so each value may
// refer to the ones before it with $(NAME), and the pod fields the
// downward API offers to a static pod (fieldRef and resourceFieldRef).
// podIPs are the sandbox's, for status.podIP.
func ContainerEnv(node Node, pod *v1.Pod, c *v1.Container, podIPs []string) (Env, error) {
	env := Env{values: map[string]string{}}
	for i, e := range c.Env {
		value := ExpandVars(e.Value, env.Lookup)
		if e.ValueFrom != nil {
			var err error
			value, err = envFrom(node, pod, c, e.ValueFrom, podIPs)
			if err != nil {
				return Env{}, fmt.Errorf("container %s env[%d] (%s): %w", c.Name, i, e.Name, err)
			}
		}
		env.values[e.Name] = value
		env.vars = append(env.vars, &runtimeapi.KeyValue{Key: e.Name, Value: []byte(value)})
	}
	return env, nil
}

func envFrom(node Node, pod *v1.Pod, c *v1.Container, from *v1.EnvVarSource, podIPs []string) (string, error) {
	switch {
	case from.FieldRef != nil:
		return podField(node, pod, from.FieldRef.FieldPath, podIPs)
	case from.ResourceFieldRef != nil:
		return resourceField(c, from.ResourceFieldRef), nil
	default:
		return "", errors.New("only fieldRef and resourceFieldRef are available to static pods")
	}
}

func podField(node Node, pod *v1.Pod, path string, podIPs []string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return node.Name, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		if len(podIPs) > 0 {
			return podIPs[0], nil
		}
		return "", nil
	default:
		return "", fmt.Errorf("fieldRef %q is not supported", path)
	}
}

// resourceField is a container's request or limit ("limits." may be left
// out) in units of the divisor; "0" when the container sets none.
func resourceField(c *v1.Container, ref *v1.ResourceFieldSelector) string {
	quantities, name := c.Resources.Limits, ref.Resource
	if rest, ok := strings.CutPrefix(name, "requests."); ok && rest != "" {
		quantities, name = c.Resources.Requests, rest
	} else if rest, ok := strings.CutPrefix(name, "limits."); ok && rest != "" {
		name = rest
	}
	value, ok := quantities[v1.ResourceName(name)]
	if !ok {
		return "0"
	}
	if ref.Divisor.IsZero() {
		return strconv.FormatInt(value.Value(), 10)
	}
	return strconv.FormatInt(value.MilliValue()/ref.Divisor.MilliValue(), 10)
}
