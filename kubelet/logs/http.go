package logs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Query parameters this handler adds to kubelet's API.
const (
	// paramAllContainers asks for the logs of every container of the pod.
	paramAllContainers = "allContainers"
	// paramPrefix prefixes each line with "[pod/<pod>/<container>] ".
	paramPrefix = "prefix"
)

// HandlerConfig configures NewHandler.
type HandlerConfig struct {
	// Locator resolves pods and containers; required.
	Locator ContainerLocator
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// CheckInterval is how often a quiet follow asks whether the container
	// still runs; 0 means one second.
	CheckInterval time.Duration
	// MaxFollows bounds the containers followed at once (a follow of all
	// of a pod's containers counts each); past it a follow gets 429.
	// 0 means DefaultMaxFollows.
	MaxFollows int
}

// DefaultMaxFollows bounds concurrent follows: each holds a goroutine, an
// open file and about 70 KiB of buffers.
const DefaultMaxFollows = 100

// NewHandler returns an http.Handler serving kubelet's container log API:
//
//	GET /containerLogs/{namespace}/{pod}/{container}?follow=&tailLines=&sinceSeconds=&sinceTime=&timestamps=&previous=&limitBytes=&stream=
//
// The container may be omitted for a single-container pod, or replaced by
// allContainers=true (with prefix=true to tag lines). Follow responses are
// streamed and flushed as lines arrive; they end when the container stops
// or the client goes away. Mount it at "/containerLogs/".
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	if cfg.Locator == nil {
		return nil, errors.New("log handler: Locator is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxFollows <= 0 {
		cfg.MaxFollows = DefaultMaxFollows
	}
	h := &handler{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", h.serve)
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}", h.serve)
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{$}", h.serve)
	return mux, nil
}

type handler struct {
	cfg HandlerConfig

	mu      sync.Mutex
	follows int // containers followed now
}

// logTarget is one container whose log a request streams.
type logTarget struct {
	namespace, pod string
	info           ContainerLogInfo
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ns, pod, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	log := h.cfg.Logger.With("namespace", ns, "pod", pod, "container", container)
	opts, err := OptionsFromQuery(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	all, err1 := queryBool(r.URL.Query(), paramAllContainers)
	prefix, err2 := queryBool(r.URL.Query(), paramPrefix)
	if err := errors.Join(err1, err2); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	targets, status, err := h.resolve(r.Context(), ns, pod, container, all, opts.Previous)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	if opts.Follow {
		if err := h.acquireFollows(len(targets)); err != nil {
			log.Warn("refused a log follow", "err", err)
			http.Error(w, err.Error(), http.StatusTooManyRequests)
			return
		}
		defer h.releaseFollows(len(targets))
	}
	out := &responseWriter{w: w}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	stats, err := h.stream(r.Context(), targets, opts, prefix, out)
	attrs := []any{"lines", stats.Lines, "bytes", stats.Bytes, "malformed", stats.Malformed, "follow", opts.Follow, "duration", time.Since(start)}
	switch {
	case err == nil, r.Context().Err() != nil:
		log.Debug("served container logs", attrs...)
	case !out.started && errors.Is(err, fs.ErrNotExist):
		http.Error(w, fmt.Sprintf("log of container %q in pod %s/%s not found on disk: %v", targets[0].info.Name, ns, pod, err), http.StatusNotFound)
	case !out.started:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		log.Warn("container log stream failed", append(attrs, "err", err)...)
	}
	if stats.Malformed > 0 {
		log.Warn("skipped malformed CRI log lines", "count", stats.Malformed)
	}
}

// acquireFollows reserves n follow slots, or says why it cannot.
func (h *handler) acquireFollows(n int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.follows+n > h.cfg.MaxFollows {
		return fmt.Errorf("too many log follows: this agent serves at most %d log follows at once and %d are running; end one and retry", h.cfg.MaxFollows, h.follows)
	}
	h.follows += n
	return nil
}

func (h *handler) releaseFollows(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.follows -= n
}

// resolve finds the containers a request names, or the status and message
// of why it cannot be served.
func (h *handler) resolve(ctx context.Context, ns, pod, container string, all, previous bool) ([]logTarget, int, error) {
	info, err := h.cfg.Locator.LocateContainer(ctx, ns, pod, container)
	var choice *ContainerChoiceError
	if all && errors.As(err, &choice) {
		info, err = ContainerLogInfo{Containers: choice.Containers}, nil
	}
	if err != nil {
		return nil, locateStatus(err), err
	}
	names := []string{info.Name}
	if all {
		names = info.Containers
	}
	targets := make([]logTarget, 0, len(names))
	for _, name := range names {
		if all {
			if info, err = h.cfg.Locator.LocateContainer(ctx, ns, pod, name); err != nil {
				return nil, locateStatus(err), err
			}
		}
		if msg := unservable(info, ns, pod, previous); msg != "" {
			if all {
				continue // kubectl shows the containers that have logs
			}
			return nil, http.StatusBadRequest, errors.New(msg)
		}
		targets = append(targets, logTarget{namespace: ns, pod: pod, info: info})
	}
	if len(targets) == 0 {
		return nil, http.StatusBadRequest, fmt.Errorf("no container of pod %s/%s has a log yet", ns, pod)
	}
	return targets, http.StatusOK, nil
}

// unservable explains why a container has no log to read, or returns "".
func unservable(info ContainerLogInfo, ns, pod string, previous bool) string {
	switch {
	case previous && info.PreviousLogPath == "":
		return fmt.Sprintf("previous terminated container %q in pod %s/%s not found", info.Name, ns, pod)
	case !previous && info.LogPath == "":
		return fmt.Sprintf("container %q in pod %s/%s is waiting to start", info.Name, ns, pod)
	}
	return ""
}

func locateStatus(err error) int {
	var choice *ContainerChoiceError
	switch {
	case errors.As(err, &choice):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// stream writes the targets' logs: one after another, or side by side
// when following, as kubectl does.
func (h *handler) stream(ctx context.Context, targets []logTarget, opts Options, prefix bool, out *responseWriter) (Stats, error) {
	var total Stats
	var mu sync.Mutex
	add := func(s Stats) {
		mu.Lock()
		defer mu.Unlock()
		total.Lines += s.Lines
		total.Bytes += s.Bytes
		total.Malformed += s.Malformed
	}
	if !opts.Follow || len(targets) == 1 {
		for _, t := range targets {
			s, err := ReadLogs(ctx, h.request(t, opts, prefix), out)
			add(s)
			if err != nil {
				return total, err
			}
		}
		return total, nil
	}
	shared := newLockedWriter(out, len(targets))
	group, groupCtx := errgroup.WithContext(ctx)
	for _, t := range targets {
		w := shared.reader()
		group.Go(func() error {
			defer w.done()
			s, err := ReadLogs(groupCtx, h.request(t, opts, prefix), w)
			add(s)
			return err
		})
	}
	return total, group.Wait()
}

// request builds the read of one target; a follow ends when the instance
// it started on is no longer the running one.
func (h *handler) request(t logTarget, opts Options, prefix bool) Request {
	req := Request{Path: t.info.LogPath, Options: opts, CheckInterval: h.cfg.CheckInterval, Logger: h.cfg.Logger}
	if prefix {
		req.Prefix = "[pod/" + t.pod + "/" + t.info.Name + "] "
	}
	if opts.Previous {
		req.Path = t.info.PreviousLogPath
		return req
	}
	if t.info.Running {
		req.Running = func(ctx context.Context) (bool, error) {
			now, err := h.cfg.Locator.LocateContainer(ctx, t.namespace, t.pod, t.info.Name)
			if errors.Is(err, ErrNotFound) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return now.Running && now.ContainerID == t.info.ContainerID, nil
		}
	}
	return req
}

// responseWriter records whether the response was committed, so errors
// found before the first line still get a proper status code.
type responseWriter struct {
	w       http.ResponseWriter
	started bool
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	rw.started = true
	return rw.w.Write(p)
}

// Flush sends buffered lines to the client now.
func (rw *responseWriter) Flush() error {
	rw.started = true
	err := http.NewResponseController(rw.w).Flush()
	if errors.Is(err, http.ErrNotSupported) {
		return nil
	}
	return err
}

// lockedWriter lets concurrent followers share one response; each sink
// writes whole lines per Write, so lines never interleave. A reader
// flushes once it has caught up, so the first flush of each says it is in
// place; the response is first flushed only when every reader is, so a
// client that sees the response begin sees every line written after that,
// in every container.
type lockedWriter struct {
	mu sync.Mutex
	w  *responseWriter
	// notCaughtUp counts the readers that have not flushed yet.
	notCaughtUp int
}

func newLockedWriter(w *responseWriter, readers int) *lockedWriter {
	return &lockedWriter{w: w, notCaughtUp: readers}
}

// reader returns the writer one of the readers uses.
func (l *lockedWriter) reader() *readerWriter { return &readerWriter{shared: l} }

// readerWriter is one reader's side of a lockedWriter.
type readerWriter struct {
	shared   *lockedWriter
	caughtUp bool
}

func (r *readerWriter) Write(p []byte) (int, error) {
	r.shared.mu.Lock()
	defer r.shared.mu.Unlock()
	return r.shared.w.Write(p)
}

// Flush sends buffered lines to the client now, once every reader has
// caught up.
func (r *readerWriter) Flush() error {
	l := r.shared
	l.mu.Lock()
	defer l.mu.Unlock()
	if !r.caughtUp {
		r.caughtUp = true
		l.notCaughtUp--
	}
	if l.notCaughtUp > 0 {
		return nil
	}
	return l.w.Flush()
}

// done counts a reader that ended as caught up, so one that stopped
// without flushing holds no one back.
func (r *readerWriter) done() {
	if !r.caughtUp {
		_ = r.Flush()
	}
}
