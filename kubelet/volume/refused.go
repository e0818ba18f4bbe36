package volume

import "fmt"

// refusals explains, per source that static pods cannot use, why not and
// what to use instead.
var refusals = map[string]string{
	"configMap": "static pods cannot use configMap volumes (there is no API server to read ConfigMaps from); " +
		"use hostPath or bake the file into the image",
	"secret": "static pods cannot use secret volumes (there is no API server to read Secrets from); " +
		"use hostPath or bake the file into the image",
	"projected": "static pods cannot use projected volumes (there is no API server to read their sources from); " +
		"use hostPath or bake the file into the image",
	"persistentVolumeClaim": "static pods cannot use persistentVolumeClaim volumes (there is no API server to bind claims); " +
		"use hostPath",
	"downwardAPI": "downwardAPI volumes are not supported yet; use hostPath or bake the file into the image",
}

// Refusal says why a static pod cannot use the named source, or "" for a
// supported one.
func Refusal(source string) string {
	for _, t := range supported {
		if t.Name() == source {
			return ""
		}
	}
	if reason, ok := refusals[source]; ok {
		return reason
	}
	return fmt.Sprintf("static pods cannot use %s volumes: only %s are supported", source, supportedNames())
}

func supportedNames() string {
	names := ""
	for i, t := range supported {
		switch {
		case i == 0:
		case i == len(supported)-1:
			names += " and "
		default:
			names += ", "
		}
		names += t.Name()
	}
	return names
}
