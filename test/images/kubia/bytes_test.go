package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestBytesAnswersExactlyNBytesOfThePattern(t *testing.T) {
	rs := startServer(t, options{})
	base := "http://" + rs.srv.addrs[0].String()
	// Sizes around the block length catch an off-by-one where writes join.
	for _, n := range []int{0, 1, patternPeriod, len(patternBlock) - 1, len(patternBlock) + 1, 3*len(patternBlock) + 17} {
		resp, err := http.Get(base + "/bytes?n=" + strconv.Itoa(n))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /bytes?n=%d: status %d, %v", n, resp.StatusCode, err)
		}
		if len(body) != n || resp.ContentLength != int64(n) {
			t.Fatalf("GET /bytes?n=%d: %d bytes, Content-Length %d", n, len(body), resp.ContentLength)
		}
		for i, b := range body {
			if b != byte(i%patternPeriod) {
				t.Fatalf("GET /bytes?n=%d: byte %d is %d, want %d", n, i, b, i%patternPeriod)
			}
		}
	}
}

func TestBytesRejectsBadCount(t *testing.T) {
	for _, query := range []string{"", "?n=", "?n=-1", "?n=1k"} {
		rec := httptest.NewRecorder()
		serveBytes(rec, httptest.NewRequest("GET", "/bytes"+query, nil))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "n=<bytes>") {
			t.Errorf("GET /bytes%s = %d %q, want 400 explaining n", query, rec.Code, rec.Body.String())
		}
	}
}
