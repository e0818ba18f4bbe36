// Package streaming serves exec and attach, the kubelet's /exec and
// /attach paths and the API's pods/exec and pods/attach subresources.
//
// The handler finds the container through the sync loop (a narrow
// ContainerLocator), asks the CRI runtime for a streaming URL (Exec or
// Attach) and connects the client to it:
//
//   - A SPDY request (kubectl's fallback, client-go's SPDY executor) or a
//     WebSocket request for the older channel.k8s.io protocols is proxied
//     to the runtime's streaming server as it is, with apimachinery's
//     UpgradeAwareHandler, the way port-forward is.
//   - A WebSocket request for v5.channel.k8s.io, which kubectl 1.31 and
//     later try first, is translated: the runtimes' streaming servers
//     speak v4 at most and have no way to close stdin over WebSocket, so
//     the agent accepts the WebSocket itself (k8s.io/streaming's wsstream)
//     and drives the runtime with client-go's SPDY executor, carrying
//     stdin, stdout, stderr, terminal resizes and the exit status across,
//     as kube-apiserver's stream translator does.
//
// Every session is bounded: at most MaxSessions at once (then 429), cut
// after IdleTimeout without a byte either way, and ended when the agent
// stops.
package streaming
