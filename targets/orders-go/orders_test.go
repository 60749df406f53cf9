package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const budget = 200 * time.Millisecond

// hungInventory accepts requests and answers none of them until release is
// called; arrived receives one value per request that reached it.
func hungInventory(t *testing.T) (srv *httptest.Server, arrived chan struct{}, release func()) {
	arrived = make(chan struct{}, 16)
	unblock := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-unblock
	}))
	released := false
	release = func() {
		if !released {
			released = true
			close(unblock)
		}
	}
	// Cleanups run last-in first-out: unblock the handlers, then Close,
	// which waits for them.
	t.Cleanup(srv.Close)
	t.Cleanup(release)
	return srv, arrived, release
}

func startOrders(t *testing.T, inventory string, propagate bool) *httptest.Server {
	srv := httptest.NewServer(newService(inventory, propagate, budget).routes())
	t.Cleanup(srv.Close)
	return srv
}

func TestPropagateTurnsHungInventoryInto504WithinBudget(t *testing.T) {
	inv, _, _ := hungInventory(t)
	orders := startOrders(t, inv.URL, true)

	client := &http.Client{Timeout: 10 * budget}
	start := time.Now()
	resp, err := client.Get(orders.URL + "/order?id=1")
	if err != nil {
		t.Fatalf("GET /order: %v (the deadline did not reach the inventory call)", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504; body %q", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), "deadline exceeded after 200ms budget") {
		t.Errorf("body %q does not name the exceeded budget", body)
	}
	if elapsed < budget || elapsed > 5*budget {
		t.Errorf("answered after %v, want about the %v budget", elapsed, budget)
	}
}

func TestBackgroundHangsPastTheBudget(t *testing.T) {
	inv, arrived, release := hungInventory(t)
	orders := startOrders(t, inv.URL, false)

	client := &http.Client{Timeout: 3 * budget}
	resp, err := client.Get(orders.URL + "/order?id=1")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("background mode answered %d within %v; it should hang on the inventory", resp.StatusCode, 3*budget)
	}
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the order never reached the inventory")
	}
	// Our client gave up, but the handler is still stuck: that is the leak.
	if got := scrape(t, orders.URL)["orders_in_flight_requests"]; got != 1 {
		t.Errorf("orders_in_flight_requests = %v after the client left, want 1", got)
	}
	release()
}

func TestHealthyInventoryPlacesTheOrder(t *testing.T) {
	inv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(inv.Close)
	orders := startOrders(t, inv.URL, true)
	resp, err := http.Get(orders.URL + "/order?id=7")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "order 7 placed\n" {
		t.Errorf("got %d %q, want 200 \"order 7 placed\\n\"", resp.StatusCode, body)
	}
}

func TestBothModesForwardTheTraceparentToInventory(t *testing.T) {
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	var mu sync.Mutex
	var got []string
	inv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("traceparent"))
		mu.Unlock()
	}))
	t.Cleanup(inv.Close)
	for _, propagate := range []bool{true, false} {
		orders := startOrders(t, inv.URL, propagate)
		for _, header := range []string{tp, ""} {
			req, _ := http.NewRequest(http.MethodGet, orders.URL+"/order?id=7", nil)
			if header != "" {
				req.Header.Set("traceparent", header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{tp, "", tp, ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("inventory saw traceparents %q, want %q", got, want)
	}
}

func TestMetricsIsPrometheusText(t *testing.T) {
	orders := startOrders(t, "http://127.0.0.1:1", true)
	m := scrape(t, orders.URL)
	if m["go_goroutines"] < 1 {
		t.Errorf("go_goroutines = %v, want >= 1", m["go_goroutines"])
	}
	for _, name := range []string{"go_threads", "go_memstats_heap_inuse_bytes", "orders_in_flight_requests"} {
		if _, ok := m[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// scrape fetches /metrics and parses the label-free samples it holds.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	samples := map[string]float64{}
	for i, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			t.Fatalf("/metrics line %d: %q is not \"name value\"", i+1, line)
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			t.Fatalf("/metrics line %d: %v", i+1, err)
		}
		samples[fields[0]] = v
	}
	return samples
}
