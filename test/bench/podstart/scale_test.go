package main

import (
	"slices"
	"testing"
)

func TestParseScale(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"20", []int{1, 20}}, // the default: today's 1 and 20 pods
		{"110", []int{1, 20, 50, 110}},
		{"1", []int{1}},
		{"30", []int{1, 20, 30}},
		{"200", []int{1, 20, 50, 110, 200}},
		{"1,20,50,110", []int{1, 20, 50, 110}},
		{"110, 5,5", []int{5, 110}},
	} {
		got, err := parseScale(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseScale(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0", "-3", "1,,20", "many"} {
		if got, err := parseScale(bad); err == nil {
			t.Errorf("parseScale(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseFlagsDefaultsKeepTheCheapRun(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.scale, []int{1, 20}) || o.roundsFor(1) != 7 || o.roundsFor(20) != 3 {
		t.Errorf("defaults: scale %v, rounds %d and %d; want [1 20], 7 and 3", o.scale, o.roundsFor(1), o.roundsFor(20))
	}
	if _, err := parseFlags([]string{"-scale", "0"}); err == nil {
		t.Error("-scale 0 accepted")
	}
	if _, err := parseFlags([]string{"-idle", "0s"}); err == nil {
		t.Error("-idle 0s accepted")
	}
}
