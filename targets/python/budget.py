"""Client-side deadlines for PostgreSQL (psycopg2) and Redis (redis-py).

Contract: every function here returns or raises DeadlineExceeded before the
deadline passes (plus scheduling noise), whatever the network does: a
dependency that accepts connections and never answers (a hung path: the
kernel, or a proxy, ACKs every byte) cannot hold the caller longer.

Why not the usual knobs: psycopg2's blocking calls wait in libpq without a
timeout. connect_timeout bounds only the connect; statement_timeout is
enforced by the server, so it never fires for a query the server never
received; tcp_user_timeout and keepalives never fire while something ACKs
the bytes; conn.cancel() (PQcancel in libpq 15) opens a new connection and
waits for it without a timeout, so on a hung path it hangs too. Here the
connection is asynchronous: every wait is a poll() bounded by the time left.
When the time runs out the connection is closed; the server notices within
client_connection_check_interval and cancels the query it may be running
(and its own statement_timeout, the whole budget, is the backstop).
"""

import select
import time

import psycopg2
import psycopg2.extensions
import psycopg2.extras


class DeadlineExceeded(Exception):
    """The request's budget ran out before a dependency answered."""


class Deadline:
    """A point in time (time.monotonic) that the request must finish by."""

    def __init__(self, budget_s):
        self.at = time.monotonic() + budget_s

    def remaining(self):
        return self.at - time.monotonic()

    def check(self, what):
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded(what + ": no budget left")
        return left


def _wait(conn, deadline, what):
    """Drives an asynchronous psycopg2 connection until its operation is done."""
    poller = select.poll()
    fd = conn.fileno()
    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            events = select.POLLIN
        elif state == psycopg2.extensions.POLL_WRITE:
            events = select.POLLOUT
        else:
            raise psycopg2.OperationalError(what + ": unexpected poll state %r" % state)
        left = deadline.remaining()
        if left <= 0:
            raise DeadlineExceeded(what + ": budget ran out waiting for PostgreSQL")
        poller.register(fd, events)
        ready = poller.poll(max(1, int(left * 1000)))
        poller.unregister(fd)
        if not ready and deadline.remaining() <= 0:
            raise DeadlineExceeded(what + ": budget ran out waiting for PostgreSQL")


def connect_async(dsn, deadline, server_timeout_ms):
    """An asynchronous connection, made within the deadline.

    server_timeout_ms becomes the server's statement_timeout; the server
    also checks every 100 ms that the client is still there.
    """
    deadline.check("connect to PostgreSQL")
    options = "-c statement_timeout=%d -c client_connection_check_interval=100" % server_timeout_ms
    conn = psycopg2.connect(dsn, async_=1, options=options)
    try:
        _wait(conn, deadline, "connect to PostgreSQL")
    except BaseException:
        conn.close()
        raise
    return conn


def query_async(conn, deadline, sql, args):
    """Runs one query on an asynchronous connection, within the deadline.

    Returns the rows as dicts. On DeadlineExceeded the caller must close the
    connection: its state is unknown.
    """
    deadline.check("query PostgreSQL")
    cur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
    cur.execute(sql, args)
    _wait(conn, deadline, "query PostgreSQL")
    return cur.fetchall()
