-- Built after COPY (faster than maintaining them row by row); the same lookups as Quire's
-- index keys (crm_core/include/quire/crm/customers.h, contacts.h, activities.h).
CREATE TABLE customer_phones AS
  SELECT p->>'number' AS e164, c.id AS customer_id FROM customers c, jsonb_array_elements(c.phones) p;
CREATE TABLE customer_emails AS
  SELECT lower(e->>'address') AS address, c.id AS customer_id FROM customers c, jsonb_array_elements(c.emails) e;
CREATE TABLE contact_phones AS
  SELECT p->>'number' AS e164, c.id AS contact_id FROM contacts c, jsonb_array_elements(c.phones) p;
CREATE TABLE contact_emails AS
  SELECT lower(e->>'address') AS address, c.id AS contact_id FROM contacts c, jsonb_array_elements(c.emails) e;
CREATE TABLE activity_employees AS
  SELECT u AS user_id, a.start_at, a.id AS activity_id FROM activities a, unnest(a.employees) u;
CREATE INDEX ON customer_phones (e164, customer_id);
CREATE INDEX ON customer_emails (address, customer_id);
CREATE INDEX ON contact_phones (e164, contact_id);
CREATE INDEX ON contact_emails (address, contact_id);
CREATE INDEX ON customers (tax_id);
CREATE UNIQUE INDEX ON customers (external_id);
CREATE INDEX ON customers (lower(name));
CREATE INDEX ON contacts (customer_id);
CREATE UNIQUE INDEX ON contacts (external_id);
CREATE INDEX ON activities (customer_id, start_at DESC, id);
CREATE INDEX ON activity_employees (user_id, start_at, activity_id);
VACUUM ANALYZE;
