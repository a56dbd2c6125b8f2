-- segments_benchmark's records in PostgreSQL 15, as read back from Quire's store: customers
-- with the fields the five segments name, their activities, offers, orders with payments and
-- service cases. Money in minor units (grosze), as Quire keeps it.
CREATE TABLE customers (
  id bigint PRIMARY KEY,
  kind text NOT NULL,
  name text NOT NULL,
  owner text NOT NULL,
  city text NOT NULL,
  tags text[] NOT NULL,
  category text NOT NULL,
  satisfaction int NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE activities (
  id bigint PRIMARY KEY,
  type text NOT NULL,
  status text NOT NULL,
  start_at timestamptz NOT NULL,
  customer_id bigint
);
CREATE TABLE offers (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  status text NOT NULL,
  currency text NOT NULL,
  net bigint NOT NULL,
  gross bigint NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  status text NOT NULL,
  currency text NOT NULL,
  gross bigint NOT NULL,
  ordered_on date NOT NULL
);
CREATE TABLE payments (
  order_id bigint NOT NULL,
  amount bigint NOT NULL,
  paid_on date NOT NULL
);
CREATE TABLE cases (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  kind text NOT NULL,
  status text NOT NULL,
  priority text NOT NULL,
  created_at timestamptz NOT NULL
);
