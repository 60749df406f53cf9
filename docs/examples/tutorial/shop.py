#!/usr/bin/env python3
"""shop: a small web shop for the faultline tutorial (docs/tutorial.md).

Python standard library only. GET /checkout calls the payments service and
answers 200 when it answered, 504 when it did not in time. One thread per
request (ThreadingHTTPServer), so requests stuck on payments show as threads.

  --mode naive     calls payments with no timeout: a hung payments service
                   holds the thread forever
  --mode deadline  gives each call --budget: the thread is free again after it
"""
import argparse
import http.server
import socket
import sys
import urllib.error
import urllib.request


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payments", required=True, help="base URL, e.g. http://127.0.0.1:9000")
    parser.add_argument("--mode", choices=["naive", "deadline"], required=True)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per payments call")
    args = parser.parse_args()
    timeout = args.budget if args.mode == "deadline" else None

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/healthz":  # touches no dependency
                return self.answer(200, b"ok\n")
            if not self.path.startswith("/checkout"):
                return self.answer(404, b"not found\n")
            try:
                # timeout=None: wait as long as payments takes, forever if it hangs.
                with urllib.request.urlopen(args.payments + "/charge", timeout=timeout) as r:
                    r.read()
                self.answer(200, b"paid\n")
            except (socket.timeout, urllib.error.URLError, ConnectionError) as e:
                self.answer(504, ("payments: %s\n" % e).encode())

        def answer(self, status, body):
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first

        def log_message(self, *_):
            pass  # one line per request would drown the log

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    print("shop listening on 127.0.0.1:%d, mode %s" % (args.port, args.mode), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
