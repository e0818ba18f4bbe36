package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

// metricsPath is where the node API serves metrics.k8s.io, as
// metrics-server does behind an API server.
const metricsPath = "/apis/metrics.k8s.io/v1beta1"

// TopOptions are the inputs of `top`, with kubectl's meanings.
type TopOptions struct {
	// Resource is pod(s) or node(s).
	Resource string
	// Name is one pod or node; "" shows all.
	Name string
	// AllNamespaces shows the pods of every namespace.
	AllNamespaces bool
	// Selector is a label selector for the pods or nodes.
	Selector string
	// Containers shows each container of the pods.
	Containers bool
	// NoHeaders leaves out the header line.
	NoHeaders bool
	// SortBy is "cpu" or "memory" (highest first), or "" for by name.
	SortBy string
	Stdout io.Writer
}

func (o TopOptions) check() (string, error) {
	var kind string
	switch strings.ToLower(o.Resource) {
	case "pod", "pods", "po":
		kind = "pods"
	case "node", "nodes", "no":
		kind = "nodes"
	default:
		return "", fmt.Errorf("top %q: use top pod or top node", o.Resource)
	}
	switch {
	case o.SortBy != "" && o.SortBy != "cpu" && o.SortBy != "memory":
		return "", fmt.Errorf("--sort-by %q: use cpu or memory", o.SortBy)
	case o.AllNamespaces && o.Name != "":
		return "", errors.New("a pod name cannot be combined with --all-namespaces: give -n NAMESPACE instead")
	case kind == "nodes" && (o.Containers || o.AllNamespaces):
		return "", errors.New("--containers and --all-namespaces are for top pod")
	}
	return kind, nil
}

// Top prints the CPU and memory use of pods or of the node, as `kubectl
// top` does, from the node API's metrics.k8s.io.
func Top(ctx context.Context, conn Connection, opts TopOptions) error {
	kind, err := opts.check()
	if err != nil {
		return err
	}
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	if kind == "nodes" {
		return topNodes(ctx, client, opts)
	}
	return topPods(ctx, client, opts)
}

func topPods(ctx context.Context, client *Client, opts TopOptions) error {
	namespace := client.Namespace()
	if opts.AllNamespaces {
		namespace = ""
	}
	var items []metricsv1beta1.PodMetrics
	if opts.Name != "" {
		m, err := into[metricsv1beta1.PodMetrics](client.rest.Get().AbsPath(metricsPath, "namespaces", namespace, "pods", opts.Name).Do(ctx), "the pod's metrics")
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("metrics of pod %q not found: it is not running, or its first figures are not in yet", opts.Name)
		}
		if err != nil {
			return err
		}
		items = append(items, *m)
	} else {
		path := []string{metricsPath, "pods"}
		if namespace != "" {
			path = []string{metricsPath, "namespaces", namespace, "pods"}
		}
		list, err := into[metricsv1beta1.PodMetricsList](client.rest.Get().AbsPath(path...).Param("labelSelector", opts.Selector).Do(ctx), "the pods' metrics")
		if err != nil {
			return err
		}
		items = list.Items
		if len(items) == 0 {
			return errors.New("no pod metrics: no pod runs here yet, or their first figures are not in yet")
		}
	}
	printPodMetrics(opts.Stdout, items, opts)
	return nil
}

// printPodMetrics prints kubectl's top pod table.
func printPodMetrics(out io.Writer, items []metricsv1beta1.PodMetrics, opts TopOptions) {
	type row struct {
		namespace, pod, container string
		usage                     v1.ResourceList
	}
	var rows []row
	for _, m := range items {
		if opts.Containers {
			for _, c := range m.Containers {
				rows = append(rows, row{m.Namespace, m.Name, c.Name, c.Usage})
			}
			continue
		}
		total := v1.ResourceList{v1.ResourceCPU: resource.Quantity{}, v1.ResourceMemory: resource.Quantity{}}
		for _, c := range m.Containers {
			for name, q := range c.Usage {
				sum := total[name]
				sum.Add(q)
				total[name] = sum
			}
		}
		rows = append(rows, row{m.Namespace, m.Name, "", total})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		switch opts.SortBy {
		case "cpu":
			return rows[i].usage.Cpu().MilliValue() > rows[j].usage.Cpu().MilliValue()
		case "memory":
			return rows[i].usage.Memory().Value() > rows[j].usage.Memory().Value()
		}
		return rows[i].namespace+"/"+rows[i].pod+"/"+rows[i].container < rows[j].namespace+"/"+rows[j].pod+"/"+rows[j].container
	})
	w := tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)
	defer w.Flush()
	if !opts.NoHeaders {
		var headers []string
		if opts.AllNamespaces {
			headers = append(headers, "NAMESPACE")
		}
		if opts.Containers {
			headers = append(headers, "POD")
		}
		fmt.Fprintln(w, strings.Join(append(headers, "NAME", "CPU(cores)", "MEMORY(bytes)"), "\t")+"\t")
	}
	for _, r := range rows {
		var cells []string
		if opts.AllNamespaces {
			cells = append(cells, r.namespace)
		}
		if opts.Containers {
			cells = append(cells, r.pod, r.container)
		} else {
			cells = append(cells, r.pod)
		}
		cells = append(cells, cpuText(r.usage), memoryText(r.usage))
		fmt.Fprintln(w, strings.Join(cells, "\t")+"\t")
	}
}

func topNodes(ctx context.Context, client *Client, opts TopOptions) error {
	var items []metricsv1beta1.NodeMetrics
	if opts.Name != "" {
		m, err := into[metricsv1beta1.NodeMetrics](client.rest.Get().AbsPath(metricsPath, "nodes", opts.Name).Do(ctx), "the node's metrics")
		if err != nil {
			return err
		}
		items = append(items, *m)
	} else {
		list, err := into[metricsv1beta1.NodeMetricsList](client.rest.Get().AbsPath(metricsPath, "nodes").Param("labelSelector", opts.Selector).Do(ctx), "the node's metrics")
		if err != nil {
			return err
		}
		items = list.Items
	}
	nodes, err := into[v1.NodeList](client.listRequest("nodes", ListOptions{LabelSelector: opts.Selector}).Do(ctx), "the nodes")
	if err != nil {
		return err
	}
	allocatable := map[string]v1.ResourceList{}
	for _, n := range nodes.Items {
		allocatable[n.Name] = n.Status.Allocatable
	}
	w := tabwriter.NewWriter(opts.Stdout, 6, 4, 3, ' ', 0)
	defer w.Flush()
	if !opts.NoHeaders {
		fmt.Fprintln(w, "NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)\t")
	}
	for _, m := range items {
		available := allocatable[m.Name]
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t\n", m.Name, cpuText(m.Usage), percent(m.Usage.Cpu().MilliValue(), available.Cpu().MilliValue()),
			memoryText(m.Usage), percent(m.Usage.Memory().Value(), available.Memory().Value()))
	}
	return nil
}

// cpuText and memoryText format usage as kubectl top does: millicores
// and mebibytes.
func cpuText(usage v1.ResourceList) string { return fmt.Sprintf("%dm", usage.Cpu().MilliValue()) }

func memoryText(usage v1.ResourceList) string {
	return fmt.Sprintf("%dMi", usage.Memory().Value()/(1024*1024))
}

func percent(used, available int64) string {
	if available <= 0 {
		return "<unknown>"
	}
	return fmt.Sprintf("%d%%", used*100/available)
}
