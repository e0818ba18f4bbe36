package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// CRI operation names, as kubelet_runtime_operations_total and the cri
// package's Observer spell them.
const (
	opListSandboxes  = "list_podsandbox"
	opListContainers = "list_containers"
)

// opCounts are CRI calls by operation name. Fractions appear once counts
// are divided per pod or per relist.
type opCounts map[string]float64

func (c opCounts) total() float64 {
	var sum float64
	for _, v := range c {
		sum += v
	}
	return sum
}

// plus is c + other, by operation.
func (c opCounts) plus(other opCounts) opCounts {
	out := opCounts{}
	maps.Copy(out, c)
	for op, v := range other {
		out[op] += v
	}
	return out
}

// minus is c - other, by operation.
func (c opCounts) minus(other opCounts) opCounts { return c.plus(other.scaled(-1)) }

// scaled is c with every count multiplied by f.
func (c opCounts) scaled(f float64) opCounts {
	out := opCounts{}
	for op, v := range c {
		out[op] = v * f
	}
	return out
}

// withoutRelists removes the two list calls each of the agent's relists
// makes, so what remains is the work of whatever else ran meanwhile.
func (c opCounts) withoutRelists(relists float64) opCounts {
	return c.minus(opCounts{opListSandboxes: relists, opListContainers: relists})
}

// String lists the non-zero counts by operation name, "create_container
// 1, image_status 1", so a reader sees which calls differ, not only how
// many there are.
func (c opCounts) String() string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(c)) {
		if v := c[op]; v > 0.005 || v < -0.005 {
			parts = append(parts, fmt.Sprintf("%s %s", op, count(v)))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// count prints a whole number without decimals and a fraction with two.
func count(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.2f", v)
}

// opCounter is a cri.Observer that counts the floor's calls, the same way
// the agent's metrics count its own.
type opCounter struct {
	mu  sync.Mutex
	ops opCounts
}

func (o *opCounter) ObserveOperation(operation string, _ time.Duration, _ error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ops == nil {
		o.ops = opCounts{}
	}
	o.ops[operation]++
}

func (o *opCounter) snapshot() opCounts {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ops.plus(nil)
}
