package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// getTable prints the server's Table, then with Watch a row per change.
func getTable(ctx context.Context, client *Client, resource string, opts GetOptions) error {
	query := ListOptions{Namespace: opts.namespace(client), LabelSelector: opts.Selector, FieldSelector: opts.FieldSelector}
	if len(opts.Names) == 1 {
		// One name is filtered by the server; several below.
		query.FieldSelector = joinSelectors(query.FieldSelector, "metadata.name="+opts.Names[0])
	}
	table, err := client.Table(ctx, resource, query)
	if err != nil {
		return err
	}
	table.Rows = onlyNamed(table.Rows, opts.Names)
	if len(opts.Names) == 1 && len(table.Rows) == 0 {
		return fmt.Errorf("%s %q not found", resource, opts.Names[0])
	}
	tp := &tablePrinter{wide: opts.Output == "wide", namespaces: opts.AllNamespaces, columns: table.ColumnDefinitions}
	if len(table.Rows) == 0 && !opts.Watch {
		fmt.Fprintln(opts.Stderr, noResources(query.Namespace))
		return nil
	}
	tp.print(opts.Stdout, table.Rows)
	if !opts.Watch {
		return nil
	}
	query.ResourceVersion = table.ResourceVersion
	err = client.Watch(ctx, resource, query, true, func(ev WatchEvent) (bool, error) {
		var row metav1.Table
		if err := json.Unmarshal(ev.Object, &row); err != nil {
			return true, fmt.Errorf("decoding a watch event: %w", err)
		}
		tp.print(opts.Stdout, onlyNamed(row.Rows, opts.Names))
		return false, nil
	})
	if ctx.Err() != nil || errors.Is(err, ErrWatchClosed) {
		return nil // interrupted, or the server ended the watch
	}
	return err
}

func noResources(namespace string) string {
	if namespace == "" {
		return "No resources found"
	}
	return "No resources found in " + namespace + " namespace."
}

// onlyNamed keeps the rows of the named objects, by the name in each
// row's metadata; fewer than two names keeps all, since the server
// filtered those.
func onlyNamed(rows []metav1.TableRow, names []string) []metav1.TableRow {
	if len(names) < 2 {
		return rows
	}
	var kept []metav1.TableRow
	for _, row := range rows {
		var obj namedObject
		if json.Unmarshal(row.Object.Raw, &obj) == nil && slices.Contains(names, obj.Name) {
			kept = append(kept, row)
		}
	}
	return kept
}

// joinSelectors joins two field selectors, either of which may be empty.
func joinSelectors(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "," + b
}
