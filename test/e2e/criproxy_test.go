//go:build e2e

package e2e

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// getContainerEventsMethod is the one CRI call noEventsProxy refuses.
const getContainerEventsMethod = "/runtime.v1.RuntimeService/GetContainerEvents"

// rawCodec passes gRPC messages through as bytes, so the proxy needs no
// knowledge of the CRI types. It has no name, so the proxy's calls carry
// content-type "application/grpc" as real clients' do: CRI-O serves gRPC
// and HTTP on one socket and hands a connection to gRPC only if its first
// request says exactly that ("application/grpc+proto" gets it reset).
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "" }

// startNoEventsProxy serves a socket that forwards every CRI call to
// upstream ("unix:///path") unchanged, except GetContainerEvents, which it
// answers Unimplemented as containerd 1.6 does. An agent pointed at it runs
// on the real runtime with relisting alone: the same runtime, with and
// without events. It returns the proxy's endpoint; the proxy stops with
// the test.
func startNoEventsProxy(t testing.TB, upstream string) string {
	t.Helper()
	conn, err := grpc.NewClient(upstream, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("proxy: connecting to %s: %v", upstream, err)
	}
	path := filepath.Join(t.TempDir(), "no-events.sock")
	listener, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("proxy: listening on %s: %v", path, err)
	}
	server := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		if method == getContainerEventsMethod {
			return status.Error(codes.Unimplemented, "the e2e proxy hides container events")
		}
		return forward(stream, conn, method)
	}))
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(func() { server.Stop(); conn.Close() })
	return "unix://" + path
}

// forward relays one call, unary or streaming, in both directions.
func forward(in grpc.ServerStream, conn *grpc.ClientConn, method string) error {
	ctx, cancel := context.WithCancel(in.Context())
	defer cancel()
	out, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return err
	}
	go func() {
		for {
			var msg []byte
			if err := in.RecvMsg(&msg); err != nil {
				_ = out.CloseSend()
				return
			}
			if err := out.SendMsg(&msg); err != nil {
				return
			}
		}
	}()
	for {
		var msg []byte
		err := out.RecvMsg(&msg)
		if errors.Is(err, io.EOF) {
			in.SetTrailer(out.Trailer())
			return nil
		}
		if err != nil {
			return err
		}
		if err := in.SendMsg(&msg); err != nil {
			return err
		}
	}
}

// agentUsesEvents reports what the agent's start-up capability line says.
func agentUsesEvents(logs string) (known, events bool) {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `msg="runtime capabilities"`) {
			return true, strings.Contains(line, " events=true")
		}
	}
	return false, false
}
