package main

import (
	"fmt"
	"net/http"
	"strconv"
)

// patternPeriod is the length of the /bytes pattern: byte i of a body is
// byte(i % patternPeriod). A prime period makes a dropped or repeated
// chunk of any power-of-two size show up as a mismatch.
const patternPeriod = 251

// patternBlock holds whole periods of the pattern, so consecutive writes of
// it continue the sequence without bookkeeping; 1024 periods (~250 KiB)
// keep per-write overhead negligible at GB/s.
var patternBlock = func() []byte {
	block := make([]byte, patternPeriod*1024)
	for i := range block {
		block[i] = byte(i % patternPeriod)
	}
	return block
}()

// serveBytes answers GET /bytes?n=N with exactly N bytes of the pattern,
// the data source of throughput tests (e.g. port-forward benchmarks): the
// body costs no memory to produce and a client can check every byte.
func serveBytes(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil || n < 0 {
		http.Error(w, fmt.Sprintf("/bytes needs n=<bytes>, a whole number >= 0; got %q", r.URL.Query().Get("n")), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	for n > 0 {
		chunk := patternBlock[:min(n, int64(len(patternBlock)))]
		written, err := w.Write(chunk)
		if err != nil {
			return // the client went away; nothing to tell it
		}
		n -= int64(written)
	}
}
