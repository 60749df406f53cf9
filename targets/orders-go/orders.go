package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	httppprof "net/http/pprof"
	"net/url"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"time"
)

type service struct {
	inventory string        // base URL, e.g. http://127.0.0.1:8081
	propagate bool          // false: reserveStock drops the deadline (the bug)
	budget    time.Duration // deadline per /order request when propagating
	// No Timeout: the deadline must come from the context, or the
	// background mode would be rescued by accident.
	client   *http.Client
	inFlight atomic.Int64 // /order requests being handled right now
}

func newService(inventory string, propagate bool, budget time.Duration) *service {
	return &service{inventory: inventory, propagate: propagate, budget: budget, client: &http.Client{}}
}

func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/order", s.handleOrder)
	mux.HandleFunc("/metrics", s.handleMetrics)
	// Where goroutines wait, for faultline's census (target.census.url).
	mux.Handle("/debug/pprof/goroutine", httppprof.Handler("goroutine"))
	return mux
}

// handleOrder owns the deadline: everything below it receives ctx as its
// first argument and gives up when ctx is done.
func (s *service) handleOrder(w http.ResponseWriter, r *http.Request) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)

	id := r.URL.Query().Get("id")
	if id == "" {
		http.Error(w, "missing id", http.StatusBadRequest)
		return
	}
	// r.Context() is cancelled when the client goes away; the budget adds a
	// deadline on top.
	ctx := withTraceparent(r.Context(), r.Header.Get("traceparent"))
	if s.propagate {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.budget)
		defer cancel()
	}

	err := s.placeOrder(ctx, id)
	switch {
	case err == nil:
		fmt.Fprintf(w, "order %s placed\n", id)
	case errors.Is(err, context.DeadlineExceeded):
		http.Error(w, fmt.Sprintf("order %s: deadline exceeded after %s budget: %v", id, s.budget, err),
			http.StatusGatewayTimeout)
	default:
		http.Error(w, fmt.Sprintf("order %s: %v", id, err), http.StatusBadGateway)
	}
}

func (s *service) placeOrder(ctx context.Context, id string) error {
	if err := s.reserveStock(ctx, id); err != nil {
		return fmt.Errorf("place order %s: %w", id, err)
	}
	return nil
}

func (s *service) reserveStock(ctx context.Context, id string) error {
	if !s.propagate {
		// THE BUG: a fresh context has no deadline and is never cancelled.
		// The caller's deadline and the client's disconnect cannot cross
		// this line, so a hung inventory holds this goroutine forever.
		// The fix is to delete these lines and use the ctx we were given.
		// (Only the trace context is carried over, so the harness can still
		// tie this call to its order: it is not what the bug is about.)
		ctx = withTraceparent(context.Background(), traceparentOf(ctx))
	}
	return s.callInventory(ctx, "/reserve?id="+url.QueryEscape(id))
}

func (s *service) callInventory(ctx context.Context, pathAndQuery string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.inventory+pathAndQuery, nil)
	if err != nil {
		return err
	}
	if tp := traceparentOf(ctx); tp != "" {
		req.Header.Set("traceparent", tp)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("inventory: %w", err)
	}
	defer resp.Body.Close()
	// Reading the body also obeys ctx.
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("inventory: reading response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("inventory: HTTP %d", resp.StatusCode)
	}
	return nil
}

// handleMetrics writes the Prometheus text exposition format by hand, so the
// harness can scrape goroutines, which /proc cannot see.
func (s *service) handleMetrics(w http.ResponseWriter, r *http.Request) {
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	gauge := func(name, help string, value int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, value)
	}
	gauge("go_goroutines", "Number of goroutines that currently exist.", int64(runtime.NumGoroutine()))
	gauge("go_threads", "Number of OS threads created.", int64(pprof.Lookup("threadcreate").Count()))
	gauge("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", int64(mem.HeapInuse))
	gauge("orders_in_flight_requests", "Number of /order requests being handled.", s.inFlight.Load())
}

// The incoming W3C traceparent header travels in the context to every
// outbound call, unchanged (this service records no spans of its own).
type traceparentKey struct{}

func withTraceparent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return context.WithValue(ctx, traceparentKey{}, traceparent)
}

func traceparentOf(ctx context.Context) string {
	tp, _ := ctx.Value(traceparentKey{}).(string)
	return tp
}
