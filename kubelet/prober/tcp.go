package prober

import (
	"context"
	"net"
	"time"

	v1 "k8s.io/api/core/v1"
)

// probeTCP runs a tcpSocket probe: it succeeds when a connection opens
// within the timeout, and closes it at once.
func probeTCP(ctx context.Context, field string, action *v1.TCPSocketAction, t target, timeout time.Duration) outcome {
	port, err := resolvePort(field+".port", action.Port, t.container)
	if err != nil {
		return outcome{result: Unknown, message: err.Error()}
	}
	address, err := t.address(action.Host, port)
	if err != nil {
		return outcome{result: Unknown, message: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", address)
	if err != nil {
		return outcome{result: Failure, message: err.Error()}
	}
	_ = conn.Close() // the probe only asks whether the port accepts
	return outcome{result: Success}
}
