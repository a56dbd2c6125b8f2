-- The CRM records of crm_benchmark in PostgreSQL 15, shaped as a careful designer would
-- shape them for the same questions Quire answers: a customer by phone number, tax id,
-- external id, e-mail or name; a customer's contact persons; a customer's timeline newest
-- first; an employee's calendar by time. Lists (e-mails, phones, addresses) are jsonb, as
-- Quire keeps them in its JSON records; what is looked up by them has its own table and index,
-- as Quire has its own index keys.
CREATE TABLE customers (
  id bigint PRIMARY KEY,
  kind text NOT NULL,
  name text NOT NULL,
  emails jsonb NOT NULL,
  phones jsonb NOT NULL,
  tax_id text,
  addresses jsonb NOT NULL,
  owner text NOT NULL,
  notes text NOT NULL,
  external_id text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL
);
CREATE TABLE contacts (
  id bigint PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  title text NOT NULL,
  emails jsonb NOT NULL,
  phones jsonb NOT NULL,
  customer_id bigint NOT NULL,
  external_id text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL
);
CREATE TABLE activities (
  id bigint PRIMARY KEY,
  type text NOT NULL,
  status text NOT NULL,
  title text NOT NULL,
  start_at timestamptz NOT NULL,
  end_at timestamptz NOT NULL,
  customer_id bigint,
  employees text[] NOT NULL,
  channel text NOT NULL,
  note text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL
);
