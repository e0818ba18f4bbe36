// Package logs reads, follows, serves and rotates container logs written by a
// CRI runtime in the CRI log format
// ("<RFC3339Nano> <stdout|stderr> <P|F> <message>", P marking a partial line).
//
// The pieces, each usable alone:
//   - ReadLogs reads one container instance's log across its rotated files
//     (plain and gzip), joins partial lines, and applies tail, since, stream
//     and byte limits; with Follow it keeps reading new lines through fsnotify,
//     across rotations, until the container stops.
//   - Rotator is the agent's container log manager: it rotates oversized live
//     files, asks the runtime to reopen them, compresses and prunes old ones,
//     for exited containers too.
//   - NewHandler serves kubelet's /containerLogs API over HTTP.
//   - Fetch is the client side used by the `minikubelet logs` command.
//
// On disk a container instance's log is "<dir>/<restartCount>.log"; rotated
// files are "<restartCount>.log.<timestamp>" and, once older than the newest
// rotated file (or once the container exited), "<restartCount>.log.<timestamp>.gz".
//
// A container with a hostPath mount of its log directory can plant links
// and special files there, where the agent works as root. So every file
// operation goes through the directory's descriptor without following links
// (dirHandle), only regular files are read, and files the agent writes are
// created afresh. Tails read backwards from the end of the log, so their
// memory does not grow with it, and follows share one inotify instance.
package logs
