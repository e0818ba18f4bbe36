package prober

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestTCPProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if conn, err := l.Accept(); err == nil {
			conn.Close()
			accepted <- struct{}{}
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	tgt := loopbackTarget(v1.ContainerPort{Name: "db", ContainerPort: int32(port)})

	out := probeTCP(context.Background(), "f", &v1.TCPSocketAction{Port: intstr.FromString("db")}, tgt, time.Second)
	if out.result != Success {
		t.Fatalf("listening port by name: %+v", out)
	}
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the listener never saw the probe's connection")
	}

	out = probeTCP(context.Background(), "f", &v1.TCPSocketAction{Port: intstr.FromInt(freePort(t))}, tgt, time.Second)
	if out.result != Failure || !strings.Contains(out.message, "connection refused") {
		t.Fatalf("closed port: %+v", out)
	}
	out = probeTCP(context.Background(), "f", &v1.TCPSocketAction{Port: intstr.FromString("nope")}, tgt, time.Second)
	if out.result != Unknown {
		t.Fatalf("unknown port name: %+v", out)
	}
}
