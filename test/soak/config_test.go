package soak

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{
			name: "defaults",
			want: Config{Lifecycles: 1000, Parallel: 24, SampleEvery: 10 * time.Second, HoldMin: time.Second, HoldMax: 5 * time.Second},
		},
		{
			name: "all set",
			env:  map[string]string{"SOAK_LIFECYCLES": "20000", "SOAK_PARALLEL": "30", "SOAK_SAMPLE_EVERY": "30s"},
			want: Config{Lifecycles: 20000, Parallel: 30, SampleEvery: 30 * time.Second, HoldMin: time.Second, HoldMax: 5 * time.Second},
		},
		{
			name: "some kinds",
			env:  map[string]string{"SOAK_KINDS": "crash-loop, edited"},
			want: Config{Lifecycles: 1000, Parallel: 24, SampleEvery: 10 * time.Second, HoldMin: time.Second, HoldMax: 5 * time.Second,
				Kinds: []Kind{KindCrashLoop, KindEdited}},
		},
		{name: "no such kind", env: map[string]string{"SOAK_KINDS": "plain,crashloop"}, wantErr: `"crashloop" is not a kind; the kinds are plain, init,`},
		{name: "not a number", env: map[string]string{"SOAK_LIFECYCLES": "1k"}, wantErr: `SOAK_LIFECYCLES="1k": want a whole number from 1 to 1000000`},
		{name: "zero", env: map[string]string{"SOAK_LIFECYCLES": "0"}, wantErr: "SOAK_LIFECYCLES"},
		{name: "too many at once", env: map[string]string{"SOAK_PARALLEL": "500"}, wantErr: "SOAK_PARALLEL"},
		{name: "no unit", env: map[string]string{"SOAK_SAMPLE_EVERY": "10"}, wantErr: "SOAK_SAMPLE_EVERY"},
		{name: "too often", env: map[string]string{"SOAK_SAMPLE_EVERY": "10ms"}, wantErr: "from 1s to 10m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(name string) string { return tc.env[name] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
