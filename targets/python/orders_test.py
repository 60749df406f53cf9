"""Tests of the Python orders service: the deadline mode against a hung
path (a listener that accepts and never answers, as the fault proxy's hang
does), and the modes against a fake of both dependencies.

Run: /usr/bin/python3 -m unittest -v orders_test (from this directory).
Loopback only; every test is bounded by the budgets it sets.
"""

import socket
import struct
import threading
import time
import unittest

import psycopg2

import budget
import orders_app


class HungListener:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)
            self.on_accept(conn)

    def on_accept(self, conn):
        pass  # silence

    def close(self):
        self.sock.close()
        for c in self.accepted:
            c.close()


class HangAfterStartup(HungListener):
    """Speaks PostgreSQL's startup (trust) and then never answers a query:
    a path that hangs after the connection was made."""

    def on_accept(self, conn):
        threading.Thread(target=self._startup, args=(conn,), daemon=True).start()

    @staticmethod
    def _startup(conn):
        try:
            while True:
                length = struct.unpack("!I", conn.recv(4, socket.MSG_WAITALL))[0]
                body = conn.recv(length - 4, socket.MSG_WAITALL)
                if struct.unpack("!I", body[:4])[0] in (80877103, 80877104):
                    conn.sendall(b"N")  # no SSL, no GSS encryption
                    continue
                break

            def message(kind, payload):
                return kind + struct.pack("!I", len(payload) + 4) + payload

            reply = message(b"R", struct.pack("!I", 0))
            for name, value in (("server_version", "15.0"), ("client_encoding", "UTF8"),
                                ("DateStyle", "ISO, MDY"), ("integer_datetimes", "on"),
                                ("standard_conforming_strings", "on")):
                reply += message(b"S", name.encode() + b"\0" + value.encode() + b"\0")
            reply += message(b"K", struct.pack("!II", 1, 2)) + message(b"Z", b"I")
            conn.sendall(reply)
        except (OSError, struct.error):
            pass


def dsn_of(server):
    return "host=127.0.0.1 port=%d user=postgres dbname=postgres" % server.port


def app_against(server, **env):
    """The service with both its dependencies at `server`."""
    env.setdefault("ORDERS_DB", "127.0.0.1:%d" % server.port)
    env.setdefault("ORDERS_CACHE", "127.0.0.1:%d" % server.port)
    return orders_app.create_app(env)


class Bounds(unittest.TestCase):
    """Tests against a server of the class's `server_class`, as self.server."""

    server_class = None

    def setUp(self):
        self.server = self.server_class()
        self.dsn = dsn_of(self.server)

    def tearDown(self):
        self.server.close()

    def assertTakesAbout(self, seconds, call):
        """call() raises DeadlineExceeded after `seconds`, well within 1 s."""
        start = time.monotonic()
        with self.assertRaises(budget.DeadlineExceeded):
            call()
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, seconds - 0.01)
        self.assertLess(elapsed, 1.0)

    def assertHeldUntilClosed(self, app, server):
        """A request to `app` waits on `server` until the server closes."""
        worker = threading.Thread(target=lambda: app.test_client().get("/orders/42"), daemon=True)
        worker.start()
        worker.join(0.5)
        self.assertTrue(worker.is_alive())
        server.close()  # its connections close: the request fails and ends
        worker.join(5)
        self.assertFalse(worker.is_alive())


class DeadlineAgainstHungPath(Bounds):
    server_class = HungListener

    def test_connect_returns_within_the_budget(self):
        deadline = budget.Deadline(0.3)
        self.assertTakesAbout(0.3, lambda: budget.connect_async(self.dsn, deadline, 1000))

    def test_no_budget_left_fails_before_connecting(self):
        deadline = budget.Deadline(0)
        with self.assertRaises(budget.DeadlineExceeded):
            budget.connect_async(self.dsn, deadline, 1000)
        self.assertEqual(self.server.accepted, [])

    def test_service_answers_504_within_the_budget(self):
        app = app_against(self.server, ORDERS_MODE="deadline", ORDERS_BUDGET="0.3")
        start = time.monotonic()
        response = app.test_client().get("/orders/42")
        elapsed = time.monotonic() - start
        self.assertEqual(response.status_code, 504, response.get_data(as_text=True))
        self.assertLess(elapsed, 1.0)

    def test_blocking_mode_is_still_waiting_after_the_budget(self):
        # The bug the deadline mode fixes: none waits on the hung path.
        self.assertHeldUntilClosed(app_against(self.server, ORDERS_MODE="none"), self.server)


class DeadlineAgainstHungQuery(Bounds):
    server_class = HangAfterStartup

    def test_query_returns_within_the_budget(self):
        conn = budget.connect_async(self.dsn, budget.Deadline(2), 1000)
        deadline = budget.Deadline(0.3)
        self.assertTakesAbout(0.3, lambda: budget.query_async(conn, deadline, "SELECT 1", ()))
        conn.close()

    def test_statement_timeout_does_not_bound_a_hung_query(self):
        # server-timeout mode: statement_timeout is the server's, and this
        # server never got to run the query.
        app = app_against(self.server, ORDERS_MODE="server-timeout",
                          ORDERS_STATEMENT_TIMEOUT_MS="100")
        self.assertHeldUntilClosed(app, self.server)


class FakeConn:
    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True


class PoolBounds(unittest.TestCase):
    def test_full_pool_waits_no_longer_than_the_budget(self):
        pool = orders_app.Pool(lambda _d: FakeConn(), max_size=1)
        held = pool.acquire(budget.Deadline(1))
        start = time.monotonic()
        with self.assertRaises(budget.DeadlineExceeded):
            pool.acquire(budget.Deadline(0.2))
        self.assertLess(time.monotonic() - start, 1.0)
        pool.release(held, broken=False)
        self.assertIs(pool.acquire(budget.Deadline(1)), held)

    def test_broken_connection_is_closed_and_its_slot_freed(self):
        made = []
        pool = orders_app.Pool(lambda _d: made.append(FakeConn()) or made[-1], max_size=1)
        first = pool.acquire(budget.Deadline(1))
        pool.release(first, broken=True)
        self.assertTrue(first.closed)
        second = pool.acquire(budget.Deadline(1))
        self.assertIsNot(second, first)
        self.assertEqual(len(made), 2)

    def test_no_connect_without_enough_budget(self):
        made = []
        pool = orders_app.Pool(lambda _d: made.append(FakeConn()) or made[-1], max_size=2,
                               min_connect_s=0.5)
        with self.assertRaisesRegex(budget.DeadlineExceeded, "too little budget left"):
            pool.acquire(budget.Deadline(0.2))
        self.assertEqual(made, [])
        pool.release(pool.acquire(budget.Deadline(1)), broken=False)
        self.assertEqual(len(made), 1)
        # An idle connection is used with whatever time is left.
        self.assertIs(pool.acquire(budget.Deadline(0.2)), made[0])

    def test_failed_connect_frees_its_slot(self):
        def fail(_d):
            raise budget.DeadlineExceeded("connect")
        pool = orders_app.Pool(fail, max_size=1)
        for _ in range(2):
            with self.assertRaises(budget.DeadlineExceeded):
                pool.acquire(budget.Deadline(1))


class Configuration(unittest.TestCase):
    def test_unknown_mode_is_an_error_naming_the_modes(self):
        with self.assertRaisesRegex(ValueError, "none, server-timeout, deadline"):
            orders_app.Config({"ORDERS_MODE": "naive", "ORDERS_DB": "h:1", "ORDERS_CACHE": "h:2"})

    def test_address_without_port_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "ORDERS_DB: expected host:port"):
            orders_app.Config({"ORDERS_DB": "localhost", "ORDERS_CACHE": "h:2"})

    def test_healthz_touches_no_dependency(self):
        app = orders_app.create_app({"ORDERS_DB": "127.0.0.1:1", "ORDERS_CACHE": "127.0.0.1:1"})
        self.assertEqual(app.test_client().get("/healthz").status_code, 200)

    def test_refused_database_is_a_503(self):
        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        free.close()
        app = orders_app.create_app({"ORDERS_MODE": "deadline", "ORDERS_DB": "127.0.0.1:%d" % port,
                                     "ORDERS_CACHE": "127.0.0.1:%d" % port})
        response = app.test_client().get("/orders/1")
        self.assertEqual(response.status_code, 503)
        self.assertIn("OperationalError", response.get_data(as_text=True))


if __name__ == "__main__":
    unittest.main()
