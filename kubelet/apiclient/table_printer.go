package apiclient

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// tablePrinter prints Table rows as kubectl does: upper-case headers once,
// columns padded by three spaces, priority columns only when wide, and a
// NAMESPACE column for -A taken from each row's object metadata. Rows
// printed later (a watch's) keep the header of the first.
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
		fmt.Fprintln(w, strings.Join(tp.headers(), "\t"))
		tp.headerDone = true
	}
	for _, row := range rows {
		fmt.Fprintln(w, strings.Join(tp.cells(row), "\t"))
	}
}

func (tp *tablePrinter) headers() []string {
	var headers []string
	if tp.namespaces {
		headers = append(headers, "NAMESPACE")
	}
	for _, c := range tp.columns {
		if c.Priority == 0 || tp.wide {
			headers = append(headers, strings.ToUpper(c.Name))
		}
	}
	return headers
}

func (tp *tablePrinter) cells(row metav1.TableRow) []string {
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
	return cells
}
