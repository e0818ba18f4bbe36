package apiclient

import (
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// namedObject is an object as the server sent it, which keeps every
// field, with its name read for -o name.
type namedObject struct {
	Raw  json.RawMessage
	Name string
}

// UnmarshalJSON keeps the object and reads its name.
func (o *namedObject) UnmarshalJSON(data []byte) error {
	var head struct {
		Metadata struct{ Name string }
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	o.Raw, o.Name = append(json.RawMessage(nil), data...), head.Metadata.Name
	return nil
}

// MarshalJSON writes the object as the server sent it.
func (o namedObject) MarshalJSON() ([]byte, error) { return o.Raw, nil }

// printObjects prints objects as YAML, JSON or kind/name; several (or a
// list request) become a List, as kubectl prints them.
func printObjects(out io.Writer, format, kind string, objects []namedObject, single bool) error {
	if format == "name" {
		for _, obj := range objects {
			fmt.Fprintf(out, "%s/%s\n", kind, obj.Name)
		}
		return nil
	}
	if objects == nil {
		objects = []namedObject{}
	}
	var doc any = map[string]any{"apiVersion": "v1", "kind": "List", "items": objects, "metadata": map[string]any{"resourceVersion": ""}}
	if single {
		doc = objects[0]
	}
	return printDocument(out, format, doc)
}

// printDocument prints doc as indented JSON, or as the YAML of that JSON.
func printDocument(out io.Writer, format string, doc any) error {
	data, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		return err
	}
	if format == "yaml" {
		if data, err = yaml.JSONToYAML(data); err != nil {
			return err
		}
		_, err = out.Write(data)
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", data)
	return err
}
