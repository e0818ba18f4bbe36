package volume

import (
	"fmt"
	"strings"
)

// refusals explains, per source that static pods cannot use, why not and
// what to use instead.
var refusals = map[string]string{
	"configMap": "static pods cannot use configMap volumes (the API server does not let a static pod's mirror refer to ConfigMaps); " +
		"use hostPath or bake the file into the image",
	"secret": "static pods cannot use secret volumes (the API server does not let a static pod's mirror refer to Secrets); " +
		"use hostPath or bake the file into the image",
	"projected": "static pods cannot use projected volumes (their sources are read from the API server); " +
		"use hostPath, downwardAPI, or bake the file into the image",
	"persistentVolumeClaim": "static pods cannot use persistentVolumeClaim volumes (there is no API server to bind claims); " +
		"use hostPath",
}

// Refusal says why a static pod cannot use the named source, or "" for a
// supported one.
func Refusal(source string) string {
	if reason, ok := refusals[source]; ok {
		return reason
	}
	if isSupported(source) {
		return ""
	}
	return fmt.Sprintf("static pods cannot use %s volumes: only %s are supported", source, staticNames())
}

// APIRefusal says why a pod from the API server cannot use the named
// source, or "" for a supported one.
func APIRefusal(source string) string {
	if isSupported(source) {
		return ""
	}
	return fmt.Sprintf("%s volumes are not supported (this node sets up %s)", source, strings.Join(names(false), ", "))
}

func isSupported(source string) bool {
	for _, t := range supported {
		if t.Name() == source {
			return true
		}
	}
	return false
}

// names are the supported types' names, only a static pod's if static.
func names(static bool) []string {
	var out []string
	for _, t := range supported {
		if _, refused := refusals[t.Name()]; !static || !refused {
			out = append(out, t.Name())
		}
	}
	return out
}

// staticNames lists what a static pod may use: "a, b and c".
func staticNames() string {
	n := names(true)
	if len(n) == 1 {
		return n[0]
	}
	return strings.Join(n[:len(n)-1], ", ") + " and " + n[len(n)-1]
}
