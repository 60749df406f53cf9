"""The Python orders service: Flask on gunicorn's threaded workers.

GET /orders/<id> reads the order from PostgreSQL (the source of truth, read
on every request) and the customer's profile through a Redis cache
(cache-aside: on a miss, read from PostgreSQL and store for 60 s). GET
/healthz answers without touching either.

Configuration (environment, set by the orders-py launcher):
  ORDERS_DB           host:port of PostgreSQL (user postgres, database postgres)
  ORDERS_CACHE        host:port of Redis
  ORDERS_MODE         none | server-timeout | deadline
  ORDERS_BUDGET       seconds a request may take (deadline mode), default 1
  ORDERS_STATEMENT_TIMEOUT_MS  PostgreSQL's statement_timeout in
                      server-timeout mode, default 1000
  ORDERS_CACHE_TIMEOUT  seconds, the most a cache call may take in deadline
                      mode (then the service reads from PostgreSQL), default 0.1
  ORDERS_POOL_SIZE    PostgreSQL connections at most in deadline mode,
                      default 30

Modes:
  none            no timeout anywhere: a hung dependency holds the request's
                  thread (and its connection) for as long as it hangs, and
                  for good when the bytes were lost.
  server-timeout  only PostgreSQL's statement_timeout: the server cancels
                  slow statements, but a statement that never reaches the
                  server (a hung network path) is never cancelled.
  deadline        one budget per request, enforced on the client side for
                  every call (budget.py): PostgreSQL connects and queries
                  bounded by the time left, the connection closed (and the
                  query cancelled by the server) when it runs out; Redis
                  with socket_timeout and socket_connect_timeout. A slow
                  cache is skipped, a dependency out of budget is a 504.
                  PostgreSQL connections come from a pool of at most
                  ORDERS_POOL_SIZE, the wait for one bounded by the budget
                  too, and a new one made only with half the budget left:
                  without the bound, every request that gave up on a hung
                  connection would open a new one, and PostgreSQL (a
                  process per connection) drowns in connects; without the
                  half, requests that waited for the pool would start
                  connects they cannot finish. Likewise a query starts
                  only with a quarter of the budget left.

PostgreSQL connections are kept for reuse (Pool, unbounded outside the
deadline mode); one whose call failed is closed.
"""

import json
import os
import threading

import psycopg2
import psycopg2.extras
import redis
from flask import Flask, jsonify

import budget

ORDER_SQL = "SELECT id, customer_id, status, total_cents FROM orders WHERE id = %s"
CUSTOMER_SQL = "SELECT id, name, tier FROM customers WHERE id = %s"
MODES = ("none", "server-timeout", "deadline")


def _host_port(text, what):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("%s: expected host:port, got %r" % (what, text))
    return host, int(port)


class Config:
    def __init__(self, env):
        self.mode = env.get("ORDERS_MODE", "none")
        if self.mode not in MODES:
            raise ValueError("ORDERS_MODE: expected one of %s, got %r" % (", ".join(MODES), self.mode))
        self.db_host, self.db_port = _host_port(env.get("ORDERS_DB", ""), "ORDERS_DB")
        self.cache_host, self.cache_port = _host_port(env.get("ORDERS_CACHE", ""), "ORDERS_CACHE")
        self.budget_s = float(env.get("ORDERS_BUDGET", "1"))
        self.statement_timeout_ms = int(env.get("ORDERS_STATEMENT_TIMEOUT_MS", "1000"))
        self.cache_timeout_s = float(env.get("ORDERS_CACHE_TIMEOUT", "0.1"))
        self.pool_size = int(env.get("ORDERS_POOL_SIZE", "30"))

    def dsn(self):
        # No SSL: one round trip less per connect on loopback.
        return "host=%s port=%d user=postgres dbname=postgres sslmode=disable" % (
            self.db_host, self.db_port)


class Pool:
    """PostgreSQL connections shared by the request threads.

    max_size None: no bound, a new connection whenever none is idle (what a
    thread-per-request service without a pool gets). With a bound, a request
    waits for a free connection, within its deadline when it has one, and
    makes a new one only with at least min_connect_s of it left. A
    connection whose call failed is closed, never handed out again.
    """

    def __init__(self, make, max_size=None, min_connect_s=0.0):
        self.make = make
        self.min_connect_s = min_connect_s
        self.lock = threading.Lock()
        self.idle = []
        self.slots = threading.BoundedSemaphore(max_size) if max_size else None

    def acquire(self, deadline):
        if self.slots is not None:
            wait = deadline.check("wait for a PostgreSQL connection") if deadline else None
            if not self.slots.acquire(timeout=wait):
                raise budget.DeadlineExceeded("wait for a PostgreSQL connection: budget ran out")
        with self.lock:
            conn = self.idle.pop() if self.idle else None
        if conn is None:
            try:
                if deadline and deadline.remaining() < self.min_connect_s:
                    # A connect it would abandon half-way costs PostgreSQL a
                    # process and frees nothing: after a hang, a queue of
                    # requests with little time left would keep the pool
                    # connecting forever and never serving.
                    raise budget.DeadlineExceeded(
                        "connect to PostgreSQL: too little budget left to connect")
                conn = self.make(deadline)
            except BaseException:
                if self.slots is not None:
                    self.slots.release()
                raise
        return conn

    def release(self, conn, broken):
        if broken:
            try:
                conn.close()
            except Exception:
                pass
        else:
            with self.lock:
                self.idle.append(conn)
        if self.slots is not None:
            self.slots.release()


class Dependencies:
    """PostgreSQL and Redis clients, made as the mode says."""

    def __init__(self, config):
        self.config = config
        cache_timeout = config.cache_timeout_s if config.mode == "deadline" else None
        # One pool for all threads; a connection per thread in use, no cap.
        self.cache = redis.Redis(host=config.cache_host, port=config.cache_port,
                                 socket_timeout=cache_timeout,
                                 socket_connect_timeout=cache_timeout)
        if config.mode == "deadline":
            self.pg = Pool(self._connect_async, config.pool_size, config.budget_s / 2)
        else:
            self.pg = Pool(self._connect_blocking)

    def _connect_blocking(self, _deadline):
        options = ""
        if self.config.mode == "server-timeout":
            options = "-c statement_timeout=%d" % self.config.statement_timeout_ms
        conn = psycopg2.connect(self.config.dsn(), options=options)
        conn.autocommit = True
        return conn

    def _connect_async(self, deadline):
        return budget.connect_async(self.config.dsn(), deadline, int(self.config.budget_s * 1000))

    def _run(self, conn, sql, args, deadline):
        if self.config.mode == "deadline":
            return budget.query_async(conn, deadline, sql, args)
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def query(self, sql, args, deadline):
        deadline_mode = self.config.mode == "deadline"
        conn = self.pg.acquire(deadline if deadline_mode else None)
        broken = True
        try:
            if deadline_mode and deadline.remaining() < self.config.budget_s / 4:
                # A query abandoned half-way costs its connection (its state
                # is unknown, so it is closed and must be made again).
                broken = False
                raise budget.DeadlineExceeded(
                    "query PostgreSQL: too little budget left to wait for an answer")
            rows = self._run(conn, sql, args, deadline)
            broken = False
            return rows
        finally:
            self.pg.release(conn, broken)

    def customer(self, customer_id, deadline):
        """The customer's profile, from the cache when it answers in time."""
        key = "customer:%d" % customer_id
        use_cache = True
        if self.config.mode == "deadline":
            # Ask the cache only while its whole timeout fits in the budget.
            use_cache = deadline.remaining() > self.config.cache_timeout_s
        if use_cache:
            try:
                cached = self.cache.get(key)
                if cached is not None:
                    return json.loads(cached)
            except redis.exceptions.TimeoutError:
                use_cache = False  # skip it: read from the source of truth
        rows = self.query(CUSTOMER_SQL, (customer_id,), deadline)
        profile = rows[0] if rows else None
        if profile is not None and use_cache:
            try:
                self.cache.setex(key, 60, json.dumps(profile))
            except redis.exceptions.TimeoutError:
                pass  # the next request tries again
        return profile


def create_app(env=None):
    config = Config(os.environ if env is None else env)
    deps = Dependencies(config)
    app = Flask("orders-py")

    @app.get("/healthz")
    def healthz():
        return "ok\n"

    @app.get("/orders/<int:order_id>")
    def order(order_id):
        deadline = budget.Deadline(config.budget_s)
        try:
            rows = deps.query(ORDER_SQL, (order_id,), deadline)
            if not rows:
                return jsonify(error="no order %d" % order_id), 404
            result = dict(rows[0])
            result["customer"] = deps.customer(result["customer_id"], deadline)
            return jsonify(result)
        except budget.DeadlineExceeded as e:
            return jsonify(error=str(e)), 504
        except (psycopg2.Error, redis.exceptions.RedisError) as e:
            return jsonify(error="%s: %s" % (type(e).__name__, str(e).strip())), 503

    return app
