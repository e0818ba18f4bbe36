// Package apiclient is the client side of the node API for minikubelet's
// CLI: how to reach the agent (a kubeconfig, as kubectl reads one, with
// flags overriding it), the requests its commands make and how their
// answers are printed.
//
// Each command of the CLI is one function here (Get, Describe, Create,
// Apply, Edit, Diff, Top, Delete, Version, Logs, PortForward, Exec, Attach,
// Copy) taking a
// Connection and an options struct that carries the command's output writers; package main
// only turns flags into those. The functions share one Client, which holds
// the REST client for core/v1 and the HTTP client beneath it, and one
// watch loop (Client.Watch).
package apiclient
