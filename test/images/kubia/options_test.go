package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func envFrom(vars map[string]string) func(string) string {
	return func(key string) string { return vars[key] }
}

func TestParseOptionsDefaults(t *testing.T) {
	o, err := parseOptions(nil, envFrom(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.listen != ":8080" || o.exitRequested || o.logLines != 0 || o.unhealthyFile != "/tmp/unhealthy" || o.unreadyFile != "/tmp/unready" {
		t.Fatalf("defaults = %+v", o)
	}
}

func TestParseOptionsEnvAndFlags(t *testing.T) {
	env := envFrom(map[string]string{
		"KUBIA_LOG_LINES":      "5",
		"KUBIA_LOG_INTERVAL":   "10ms",
		"KUBIA_LISTEN":         "127.0.0.1:9090",
		"KUBIA_EXTRA_LISTEN":   ":8081, :8082",
		"KUBIA_IGNORE_SIGTERM": "true",
		"KUBIA_EXIT_CODE":      "3",
	})
	o, err := parseOptions([]string{"-log-lines", "7", "-udp-echo", ":5353"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.logLines != 7 {
		t.Errorf("flag should win over env: logLines = %d, want 7", o.logLines)
	}
	if o.logInterval != 10*time.Millisecond || o.listen != "127.0.0.1:9090" || !o.ignoreSigterm || o.udpEcho != ":5353" {
		t.Errorf("options = %+v", o)
	}
	if got := o.extraListenAddrs(); len(got) != 2 || got[0] != ":8081" || got[1] != ":8082" {
		t.Errorf("extraListenAddrs = %q", got)
	}
	if !o.exitRequested || o.exitCode != 3 {
		t.Errorf("exit from env: requested=%v code=%d", o.exitRequested, o.exitCode)
	}
}

func TestParseOptionsErrorsNameTheSetting(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad env int", nil, map[string]string{"KUBIA_LOG_LINES": "many"}, `KUBIA_LOG_LINES="many"`},
		{"bad env duration", nil, map[string]string{"KUBIA_EXIT_AFTER": "5"}, "KUBIA_EXIT_AFTER"},
		{"negative lines", []string{"-log-lines=-1"}, nil, "-log-lines"},
		{"exit code range", []string{"-exit-code=300"}, nil, "0 to 255"},
		{"stray argument", []string{"serve"}, nil, `unexpected argument "serve"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseOptions(tc.args, envFrom(tc.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestUsageListsEveryFlagWithItsEnv(t *testing.T) {
	var usage strings.Builder
	printUsage(&usage)
	for _, want := range []string{"-log-partial", "KUBIA_LOG_PARTIAL", "KUBIA_SIGTERM_FILE", "kubia get", "kubia id", "kubia sleep"} {
		if !strings.Contains(usage.String(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}
