package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// getFlags are the flags of `minikubelet get`, kubectl's names.
type getFlags struct {
	api           apiFlags
	output        string
	watch         bool
	allNamespaces bool
	selector      string
}

func newGetCommand() *cobra.Command {
	var flags getFlags
	cmd := &cobra.Command{
		Use:   "get pods [NAME...] [-o wide|yaml|json|name] [-w] [-A] [-l SELECTOR]",
		Short: "Show the node's pods, like kubectl get",
		Long: `Get prints the node's pods as kubectl does: a table by default (-o wide adds
IP and node), or the full objects as YAML or JSON. With -w it keeps printing
a row for every change until interrupted.`,
		Example: `  minikubelet get pods
  minikubelet get pods -A -o wide -l app=web
  minikubelet get pod web -o yaml
  minikubelet get pods -w`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPodsResource(args[0]); err != nil {
				return err
			}
			client, err := flags.api.client()
			if err != nil {
				return err
			}
			return flags.run(cmd.Context(), client, args[1:], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	flags.api.bind(cmd.Flags())
	cmd.Flags().StringVarP(&flags.output, "output", "o", "", "output format: wide, yaml, json or name")
	cmd.Flags().BoolVarP(&flags.watch, "watch", "w", false, "after listing, keep printing changes")
	cmd.Flags().BoolVarP(&flags.allNamespaces, "all-namespaces", "A", false, "list pods of every namespace")
	cmd.Flags().StringVarP(&flags.selector, "selector", "l", "", "label selector, e.g. app=web,tier!=db")
	return cmd
}

// checkPodsResource accepts kubectl's names for pods, the one resource.
func checkPodsResource(resource string) error {
	switch strings.ToLower(resource) {
	case "pods", "pod", "po":
		return nil
	}
	return fmt.Errorf("resource type %q is not served by the node API: use pods", resource)
}

func (fl getFlags) namespace() string {
	if fl.allNamespaces {
		return ""
	}
	return fl.api.namespace
}

func (fl getFlags) run(ctx context.Context, client *rest.RESTClient, names []string, out, errOut io.Writer) error {
	switch fl.output {
	case "", "wide", "yaml", "json", "name":
	default:
		return fmt.Errorf("--output %q: use wide, yaml, json or name", fl.output)
	}
	if fl.allNamespaces && len(names) > 0 {
		return errors.New("a pod name cannot be combined with --all-namespaces: give -n NAMESPACE instead")
	}
	fieldSelector := ""
	if len(names) == 1 {
		fieldSelector = "metadata.name=" + names[0]
	}
	if fl.output == "" || fl.output == "wide" {
		return fl.printTable(ctx, client, names, fieldSelector, out, errOut)
	}
	var objects []*v1.Pod
	for _, name := range names {
		pod, err := getPod(ctx, client, fl.api.namespace, name)
		if err != nil {
			return err
		}
		objects = append(objects, pod)
	}
	if len(names) == 0 {
		list, err := listPods(ctx, client, fl.namespace(), fl.selector, "")
		if err != nil {
			return err
		}
		for i := range list.Items {
			objects = append(objects, &list.Items[i])
		}
	}
	return printObjects(out, fl.output, objects, len(names) == 1)
}

// printObjects prints pods as YAML, JSON or names; several pods (or a
// list request) become a List, as kubectl prints them.
func printObjects(out io.Writer, format string, objects []*v1.Pod, single bool) error {
	if format == "name" {
		for _, pod := range objects {
			fmt.Fprintf(out, "pod/%s\n", pod.Name)
		}
		return nil
	}
	var doc any = map[string]any{"apiVersion": "v1", "kind": "List", "items": objects, "metadata": map[string]any{"resourceVersion": ""}}
	if single {
		doc = objects[0]
	}
	return printDocument(out, format, doc)
}

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

// printTable prints the server's Table, then with -w a row per change.
func (fl getFlags) printTable(ctx context.Context, client *rest.RESTClient, names []string, fieldSelector string, out, errOut io.Writer) error {
	if len(names) > 1 {
		fieldSelector = "" // filtered below
	}
	req := client.Get().Resource("pods").SetHeader("Accept", tableAccept).
		Param("labelSelector", fl.selector).Param("fieldSelector", fieldSelector)
	if ns := fl.namespace(); ns != "" {
		req = req.Namespace(ns)
	}
	raw, err := doRaw(req.Do(ctx))
	if err != nil {
		return err
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		return fmt.Errorf("decoding the pod table: %w", err)
	}
	table.Rows = onlyNamed(table.Rows, names)
	if len(names) == 1 && len(table.Rows) == 0 {
		return fmt.Errorf("pods %q not found", names[0])
	}
	tp := &tablePrinter{wide: fl.output == "wide", namespaces: fl.allNamespaces, columns: table.ColumnDefinitions}
	if len(table.Rows) == 0 && !fl.watch {
		fmt.Fprintln(errOut, noResources(fl.namespace()))
		return nil
	}
	tp.print(out, table.Rows)
	if !fl.watch {
		return nil
	}
	return fl.watchTable(ctx, client, names, fieldSelector, table.ResourceVersion, tp, out)
}

func noResources(namespace string) string {
	if namespace == "" {
		return "No resources found"
	}
	return "No resources found in " + namespace + " namespace."
}

// watchTable prints a row for every change after the listed version.
func (fl getFlags) watchTable(ctx context.Context, client *rest.RESTClient, names []string, fieldSelector, version string, tp *tablePrinter, out io.Writer) error {
	req := client.Get().Resource("pods").SetHeader("Accept", tableAccept).Param("watch", "true").
		Param("resourceVersion", version).Param("labelSelector", fl.selector).Param("fieldSelector", fieldSelector)
	if ns := fl.namespace(); ns != "" {
		req = req.Namespace(ns)
	}
	stream, err := req.Stream(ctx)
	if err != nil {
		return err
	}
	defer stream.Close()
	decoder := json.NewDecoder(stream)
	for {
		var ev watchEvent
		if err := decoder.Decode(&ev); err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil // interrupted, or the server ended the watch
			}
			return fmt.Errorf("reading the watch: %w", err)
		}
		if ev.Type == "ERROR" {
			return fmt.Errorf("watch ended by the server: %s", ev.Object)
		}
		var table metav1.Table
		if err := json.Unmarshal(ev.Object, &table); err != nil {
			return fmt.Errorf("decoding a watch event: %w", err)
		}
		tp.print(out, onlyNamed(table.Rows, names))
	}
}

// onlyNamed keeps the rows of the named pods; no names keeps all.
func onlyNamed(rows []metav1.TableRow, names []string) []metav1.TableRow {
	if len(names) < 2 {
		return rows
	}
	var kept []metav1.TableRow
	for _, row := range rows {
		if len(row.Cells) > 0 && contains(names, fmt.Sprint(row.Cells[0])) {
			kept = append(kept, row)
		}
	}
	return kept
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tablePrinter prints Table rows as kubectl does: upper-case headers once,
// columns padded by three spaces, priority columns only when wide, and a
// NAMESPACE column for -A taken from each row's object metadata.
type tablePrinter struct {
	wide, namespaces bool
	columns          []metav1.TableColumnDefinition
	headerDone       bool
}

func (tp *tablePrinter) print(out io.Writer, rows []metav1.TableRow) {
	if len(rows) == 0 {
		return
	}
	w := tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)
	defer w.Flush()
	if !tp.headerDone {
		var headers []string
		if tp.namespaces {
			headers = append(headers, "NAMESPACE")
		}
		for _, c := range tp.columns {
			if c.Priority == 0 || tp.wide {
				headers = append(headers, strings.ToUpper(c.Name))
			}
		}
		fmt.Fprintln(w, strings.Join(headers, "\t"))
		tp.headerDone = true
	}
	for _, row := range rows {
		var cells []string
		if tp.namespaces {
			var meta struct{ Metadata metav1.ObjectMeta }
			_ = json.Unmarshal(row.Object.Raw, &meta)
			cells = append(cells, meta.Metadata.Namespace)
		}
		for i, c := range tp.columns {
			if i < len(row.Cells) && (c.Priority == 0 || tp.wide) {
				cells = append(cells, fmt.Sprint(row.Cells[i]))
			}
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	}
}
