// Package cni owns the node's pod network configuration: it renders the
// bridge conflist the runtime executes, validates it with libcni and
// releases addresses leaked by sandboxes that no longer exist.
package cni
