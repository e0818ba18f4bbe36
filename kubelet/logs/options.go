package logs

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Options select what part of a container's log a read returns. The zero
// value returns the whole log of the current instance once.
type Options struct {
	// Follow keeps reading new lines until the container stops.
	Follow bool
	// Tail limits the output to the last TailLines lines; TailLines 0 with
	// Follow prints only new lines.
	Tail      bool
	TailLines int64
	// Since keeps lines written within this duration before the read;
	// SinceTime keeps lines written at or after this time. Set at most one.
	Since     time.Duration
	SinceTime time.Time
	// Timestamps prefixes each line with its RFC3339Nano time.
	Timestamps bool
	// LimitBytes stops the output after this many bytes; 0 means no limit.
	LimitBytes int64
	// Stream selects stdout, stderr or both; "" means both.
	Stream Stream
	// Previous reads the log of the previous (restartCount-1) instance.
	Previous bool
}

// Validate reports the first invalid option, naming it and the fix.
func (o Options) Validate() error {
	if o.Tail && o.TailLines < 0 {
		return fmt.Errorf("tailLines %d is negative: give 0 or more lines, or leave it unset for the whole log", o.TailLines)
	}
	if o.Since < 0 {
		return fmt.Errorf("since %s is negative: give a positive duration such as 5m", o.Since)
	}
	if o.Since > 0 && !o.SinceTime.IsZero() {
		return errors.New("since and sinceTime are both set: give only one of them")
	}
	if o.LimitBytes < 0 {
		return fmt.Errorf("limitBytes %d is negative: give a positive byte count, or 0 for no limit", o.LimitBytes)
	}
	if _, err := ParseStream(string(o.Stream)); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	return nil
}

// sinceAt returns the earliest line time to keep for a read starting at
// now, or the zero time when every line is kept.
func (o Options) sinceAt(now time.Time) time.Time {
	if o.Since > 0 {
		return now.Add(-o.Since)
	}
	return o.SinceTime
}

// Query parameter names of kubelet's /containerLogs API.
const (
	paramFollow       = "follow"
	paramTailLines    = "tailLines"
	paramSinceSeconds = "sinceSeconds"
	paramSinceTime    = "sinceTime"
	paramTimestamps   = "timestamps"
	paramLimitBytes   = "limitBytes"
	paramPrevious     = "previous"
	paramStream       = "stream"
)

// Query encodes the options as /containerLogs query parameters. Since is
// sent in whole seconds, rounded up, like kubectl does.
func (o Options) Query() url.Values {
	q := url.Values{}
	setBool := func(name string, v bool) {
		if v {
			q.Set(name, "true")
		}
	}
	setBool(paramFollow, o.Follow)
	setBool(paramTimestamps, o.Timestamps)
	setBool(paramPrevious, o.Previous)
	if o.Tail {
		q.Set(paramTailLines, strconv.FormatInt(o.TailLines, 10))
	}
	if o.Since > 0 {
		seconds := int64((o.Since + time.Second - 1) / time.Second)
		q.Set(paramSinceSeconds, strconv.FormatInt(seconds, 10))
	}
	if !o.SinceTime.IsZero() {
		q.Set(paramSinceTime, o.SinceTime.UTC().Format(time.RFC3339Nano))
	}
	if o.LimitBytes > 0 {
		q.Set(paramLimitBytes, strconv.FormatInt(o.LimitBytes, 10))
	}
	if o.Stream != "" && o.Stream != StreamAll {
		q.Set(paramStream, string(o.Stream))
	}
	return q
}

// OptionsFromQuery decodes /containerLogs query parameters; errors name the
// parameter and say what a valid value looks like.
func OptionsFromQuery(q url.Values) (Options, error) {
	var o Options
	var err error
	boolParams := []struct {
		name string
		dst  *bool
	}{{paramFollow, &o.Follow}, {paramTimestamps, &o.Timestamps}, {paramPrevious, &o.Previous}}
	for _, p := range boolParams {
		if *p.dst, err = queryBool(q, p.name); err != nil {
			return o, err
		}
	}
	if q.Has(paramTailLines) {
		o.Tail = true
		if o.TailLines, err = queryInt(q, paramTailLines, 0); err != nil {
			return o, err
		}
	}
	if q.Has(paramSinceSeconds) {
		seconds, err := queryInt(q, paramSinceSeconds, 1)
		if err != nil {
			return o, err
		}
		o.Since = time.Duration(seconds) * time.Second
	}
	if raw := q.Get(paramSinceTime); raw != "" {
		if o.SinceTime, err = time.Parse(time.RFC3339Nano, raw); err != nil {
			return o, fmt.Errorf("query parameter %s=%q is not an RFC3339 time such as 2024-05-01T10:00:00Z", paramSinceTime, raw)
		}
	}
	if q.Has(paramLimitBytes) {
		if o.LimitBytes, err = queryInt(q, paramLimitBytes, 1); err != nil {
			return o, err
		}
	}
	if o.Stream, err = ParseStream(q.Get(paramStream)); err != nil {
		return o, fmt.Errorf("query parameter %s: %w", paramStream, err)
	}
	if o.Since > 0 && !o.SinceTime.IsZero() {
		return o, fmt.Errorf("query parameters %s and %s are both set: give only one", paramSinceSeconds, paramSinceTime)
	}
	return o, o.Validate()
}

// queryBool reads a boolean parameter; a bare "?follow" counts as true.
func queryBool(q url.Values, name string) (bool, error) {
	if !q.Has(name) {
		return false, nil
	}
	raw := q.Get(name)
	if raw == "" {
		return true, nil
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		return false, fmt.Errorf("query parameter %s=%q is not a boolean: use true or false", name, raw)
	}
	return v, nil
}

func queryInt(q url.Values, name string, minimum int64) (int64, error) {
	raw := q.Get(name)
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < minimum {
		return 0, fmt.Errorf("query parameter %s=%q must be an integer >= %d", name, raw, minimum)
	}
	return v, nil
}
