package streaming

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/streaming/pkg/httpstream/wsstream"

	"github.com/minikubelet/minikubelet/kubelet/streamproxy"
)

// proxy hands a SPDY (or pre-v5 WebSocket) upgrade to the runtime's
// streaming server, which speaks those protocols itself, and keeps the
// connection until a side closes it, it idles too long or the agent stops.
func (h *handler) proxy(w http.ResponseWriter, r *http.Request, s *session) {
	started := time.Now()
	tracker := streamproxy.NewTracker(w, h.cfg.IdleTimeout)
	stopOnShutdown := context.AfterFunc(r.Context(), func() { tracker.Cut("the agent is stopping") })
	defer stopOnShutdown()

	upstream := proxy.NewUpgradeAwareHandler(s.location, h.transport, false, true, responder{log: s.log, kind: s.kind})
	s.log.Info(string(s.kind)+" session started", "protocol", requestedProtocol(r)+", proxied to the runtime")
	upstream.ServeHTTP(tracker, r)
	if tracker.Hijacked() {
		s.log.Info(string(s.kind)+" session ended", "duration", time.Since(started).Round(time.Millisecond), "outcome", tracker.Reason())
	}
}

// requestedProtocol names what the client asked for, for the log: e.g.
// "SPDY/3.1 v4.channel.k8s.io,v3.channel.k8s.io".
func requestedProtocol(r *http.Request) string {
	if wsstream.IsWebSocketRequest(r) {
		return "WebSocket " + r.Header.Get(wsstream.WebSocketProtocolHeader)
	}
	return r.Header.Get("Upgrade") + " " + strings.Join(r.Header.Values("X-Stream-Protocol-Version"), ",")
}

// responder answers errors met before the upgrade, e.g. a streaming
// server that cannot be reached.
type responder struct {
	log  *slog.Logger
	kind Kind
}

// Error implements proxy.ErrorResponder.
func (rs responder) Error(w http.ResponseWriter, _ *http.Request, err error) {
	rs.log.Warn(string(rs.kind)+" proxy failed", "err", err)
	http.Error(w, fmt.Sprintf("%s: reaching the runtime's streaming server: %v", rs.kind, err), http.StatusBadGateway)
}
