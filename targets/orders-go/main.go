// orders-go is the seed incident in Go: an orders service whose /order
// handler calls an inventory service. With -mode propagate the request's
// context, bounded by -budget, travels down every call to the outbound HTTP
// request, so a hung inventory turns into 504s and goroutines stay bounded by
// rate x budget. With -mode background one function midway swaps in
// context.Background(), and every request stuck on the inventory holds its
// goroutine (and memory) until the inventory answers, which it may never do.
// See orders.go for the call chain.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	port := flag.Int("port", 8080, "port to listen on (127.0.0.1 only; 0 picks a free one)")
	inventory := flag.String("inventory", "http://127.0.0.1:8081", "base URL of the inventory service")
	mode := flag.String("mode", "propagate", "propagate: carry the request's deadline to the inventory call; background: drop it (the bug)")
	budget := flag.Duration("budget", 2*time.Second, "deadline per /order request in propagate mode")
	flag.Parse()
	if *mode != "propagate" && *mode != "background" {
		fmt.Fprintf(os.Stderr, "orders-go: -mode must be propagate or background, not %q\n", *mode)
		os.Exit(2)
	}

	// Installed before the readiness line, so a supervisor's SIGTERM never
	// meets the default action.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "orders-go: %v\n", err)
		os.Exit(3)
	}
	fmt.Printf("orders-go listening on %s mode=%s budget=%s\n", ln.Addr(), *mode, *budget)

	svc := newService(*inventory, *mode == "propagate", *budget)
	// No ReadTimeout/WriteTimeout: they would cut off stuck responses from the
	// outside and hide the bug this program exists to show. The only deadline
	// is the one the handler puts in the request's context.
	srv := &http.Server{Handler: svc.routes()}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case <-stop:
		// Stuck goroutines must not delay shutdown: close the listener and
		// return, which exits 0 without waiting for in-flight requests
		// (http.Server.Shutdown would wait for them, forever in background mode).
		ln.Close()
	case err := <-served:
		fmt.Fprintf(os.Stderr, "orders-go: %v\n", err)
		os.Exit(3)
	}
}
