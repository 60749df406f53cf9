-- The orders service's data, loaded by faultline-postgres --seed at start.
CREATE TABLE customers (
  id    integer PRIMARY KEY,
  name  text NOT NULL,
  tier  text NOT NULL
);
CREATE TABLE orders (
  id           integer PRIMARY KEY,
  customer_id  integer NOT NULL REFERENCES customers (id),
  status       text NOT NULL,
  total_cents  integer NOT NULL
);
INSERT INTO customers
  SELECT i, 'customer ' || i, (ARRAY['basic', 'silver', 'gold'])[1 + i % 3]
  FROM generate_series(1, 100) AS i;
INSERT INTO orders
  SELECT i, 1 + i % 100, (ARRAY['placed', 'packed', 'shipped'])[1 + i % 3], 100 * i
  FROM generate_series(1, 1000) AS i;
