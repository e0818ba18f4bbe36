package apiclient

import (
	"fmt"
	"strings"
)

// checkPodsResource accepts kubectl's names for pods, the one resource
// most commands act on.
func checkPodsResource(resource string) error {
	switch strings.ToLower(resource) {
	case "pods", "pod", "po":
		return nil
	}
	return fmt.Errorf("resource type %q is not served by the node API: use pods", resource)
}

// listedResource is the plural name of a resource `get` lists: pods or
// events, by any of kubectl's names for them.
func listedResource(resource string) (string, error) {
	switch strings.ToLower(resource) {
	case "pods", "pod", "po":
		return "pods", nil
	case "events", "event", "ev":
		return "events", nil
	}
	return "", fmt.Errorf("resource type %q is not served by the node API to get: use pods or events", resource)
}

// singular is the kind's name in "pod/web" and in messages.
func singular(resource string) string {
	return strings.TrimSuffix(resource, "s")
}
