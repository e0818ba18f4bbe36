// Package manifestedit applies a change of a pod to the text of the
// manifest file that defines it, so that a write through the node API
// (kubectl apply, edit, patch, label) leaves the file as its author wrote
// it wherever the change does not reach.
//
// The change is given as two decoded objects, the pod before (base) and
// after (updated), both as the API sees them: defaulted, without status.
// Edit walks the file's own YAML node tree (go.yaml.in/yaml/v3, which keeps
// key order, comments and quoting) beside them and touches only what
// differs between the two: a changed value is replaced in place, a removed
// key is dropped, an added key is inserted where the Pod type's field order
// puts it, and a key the file leaves to its default stays out of the file.
// Lists with a merge key (containers by name, ports by containerPort)
// are matched by that key, others by position.
//
// What is kept: the order of keys, comments, the quoting and flow style of
// untouched values, the indentation width, whether list items are indented
// under their key, a leading "---", and JSON as JSON (in the file's key
// order). What is lost: blank lines and the spacing before a line comment,
// which the YAML encoder does not record.
//
// Edit is pure and knows nothing of manifests' rules: callers decode its
// result as the manifest source will and use it only when it gives the
// same pod (aliases, merge keys and other YAML the walk does not model can
// make it differ).
package manifestedit
