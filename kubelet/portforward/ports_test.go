package portforward

import (
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

func TestParsePortSpec(t *testing.T) {
	tests := map[string]PortSpec{
		"8080":      {Remote: "8080"},
		"8888:8080": {Local: 8888, LocalGiven: true, Remote: "8080"},
		":8080":     {LocalGiven: true, Remote: "8080"},
		"0:8080":    {LocalGiven: true, Remote: "8080"},
		"http":      {Remote: "http"},
		"9000:http": {Local: 9000, LocalGiven: true, Remote: "http"},
		"5353/udp":  {Remote: "5353", Protocol: v1.ProtocolUDP},
		":53/UDP":   {LocalGiven: true, Remote: "53", Protocol: v1.ProtocolUDP},
		"80/tcp":    {Remote: "80", Protocol: v1.ProtocolTCP},
	}
	for text, want := range tests {
		got, err := ParsePortSpec(text)
		if err != nil || got != want {
			t.Errorf("ParsePortSpec(%q) = %+v, %v; want %+v", text, got, err, want)
		}
	}
	bad := map[string]string{
		"":                 "no remote port",
		"8080:":            "no remote port",
		"70000":            "1 to 65535",
		"0":                "1 to 65535",
		"99999:80":         "local",
		"80/sctp":          "not tcp or udp",
		"Http_Port":        "neither a port number nor",
		"a:b:c":            "neither a port number nor",
		"x:80":             "local",
		"-1:80":            "local",
		"80:-1":            "remote",
		"sixteen-letters1": "neither a port number nor",
	}
	for text, mentioned := range bad {
		_, err := ParsePortSpec(text)
		if err == nil || !strings.Contains(err.Error(), mentioned) {
			t.Errorf("ParsePortSpec(%q) = %v; want an error mentioning %q", text, err, mentioned)
		}
	}
}

func TestResolveForwards(t *testing.T) {
	pod := testPod("10.0.0.5",
		v1.ContainerPort{Name: "http", ContainerPort: 8080},
		v1.ContainerPort{Name: "dns", ContainerPort: 53, Protocol: v1.ProtocolUDP},
		v1.ContainerPort{Name: "sctp", ContainerPort: 9, Protocol: v1.ProtocolSCTP})
	tests := []struct {
		specs   []string
		udp     bool
		want    []forwarding
		mention string
	}{
		{specs: []string{"8080"}, want: []forwarding{{Local: 8080, Remote: 8080, Protocol: v1.ProtocolTCP}}},
		{specs: []string{":http"}, want: []forwarding{{Local: 0, Remote: 8080, Protocol: v1.ProtocolTCP}}},
		{specs: []string{"http"}, want: []forwarding{{Local: 8080, Remote: 8080, Protocol: v1.ProtocolTCP}}},
		{specs: []string{"dns"}, want: []forwarding{{Local: 53, Remote: 53, Protocol: v1.ProtocolUDP}}},
		{specs: []string{"9053:dns"}, udp: true, want: []forwarding{{Local: 9053, Remote: 53, Protocol: v1.ProtocolUDP}}},
		{specs: []string{"53"}, udp: true, want: []forwarding{{Local: 53, Remote: 53, Protocol: v1.ProtocolTCP}, {Local: 53, Remote: 53, Protocol: v1.ProtocolUDP}}},
		{specs: []string{"53/tcp"}, udp: true, want: []forwarding{{Local: 53, Remote: 53, Protocol: v1.ProtocolTCP}}},
		{specs: []string{"metrics"}, mention: "named ports: http, dns, sctp"},
		{specs: []string{"sctp"}, mention: "only TCP and UDP"},
	}
	for _, tt := range tests {
		var specs []PortSpec
		for _, text := range tt.specs {
			spec, err := ParsePortSpec(text)
			if err != nil {
				t.Fatal(err)
			}
			specs = append(specs, spec)
		}
		got, err := resolveForwards(specs, pod, tt.udp)
		if tt.mention != "" {
			if err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("resolveForwards(%v) = %v; want an error mentioning %q", tt.specs, err, tt.mention)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("resolveForwards(%v, udp=%v) = %+v, %v; want %+v", tt.specs, tt.udp, got, err, tt.want)
		}
	}
}

func TestBindAllSharesAPickedPortAcrossProtocolsAndAddresses(t *testing.T) {
	sockets, err := bindAll([]string{"localhost"}, []forwarding{{Remote: 53, Protocol: v1.ProtocolTCP}, {Remote: 53, Protocol: v1.ProtocolUDP}})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSockets(sockets)
	if len(sockets) < 2 {
		t.Fatalf("bound %d sockets, want TCP and UDP at least on 127.0.0.1", len(sockets))
	}
	local := sockets[0].port.Local
	for _, s := range sockets {
		if s.port.Local != local || local == 0 {
			t.Fatalf("sockets %+v do not share one picked port", sockets)
		}
	}
}

func TestBindAllNamesATakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := uint16(taken.Addr().(*net.TCPAddr).Port)
	_, err = bindAll([]string{"127.0.0.1"}, []forwarding{{Local: port, Remote: 80, Protocol: v1.ProtocolTCP}})
	if err == nil || !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Fatalf("bindAll on a taken port = %v; want an error naming %s", err, taken.Addr())
	}
}

func TestRouteChoiceRemembersPerPort(t *testing.T) {
	now := time.Unix(1000, 0)
	routes := newRouteChoice(DirectAuto, func() time.Time { return now })
	if !routes.tryDirect(80) {
		t.Fatal("auto mode must try the pod IP first")
	}
	if !routes.directFailed(80) || routes.directFailed(80) {
		t.Fatal("only the first failure changes the path")
	}
	if routes.tryDirect(80) || !routes.tryDirect(81) {
		t.Fatal("a refused port uses the tunnel; other ports still try the pod IP")
	}
	now = now.Add(tunnelVerdictTTL)
	if !routes.tryDirect(80) {
		t.Fatalf("after %s auto mode tries the pod IP again", tunnelVerdictTTL)
	}
	if !routes.directSucceeded(80) || routes.directSucceeded(80) {
		t.Fatal("only the first success changes the path")
	}
	if newRouteChoice(DirectNever, time.Now).tryDirect(80) || !newRouteChoice(DirectAlways, time.Now).tryDirect(80) {
		t.Fatal("never and always ignore what happened")
	}
}
