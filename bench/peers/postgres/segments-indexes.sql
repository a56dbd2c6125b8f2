-- The indexes a careful DBA gives the five segments (and the lookups around them): the
-- equality and range fields, the tags (GIN), the related records by customer and date
-- (covering, so EXISTS probes and range scans stay in the index), open cases (partial).
CREATE INDEX customers_city ON customers (city);
CREATE INDEX customers_category ON customers (category);
CREATE INDEX customers_satisfaction ON customers (satisfaction);
CREATE INDEX customers_tags ON customers USING gin (tags);
CREATE INDEX activities_customer_type_start ON activities (customer_id, type, start_at);
CREATE INDEX activities_type_start ON activities (type, start_at) INCLUDE (customer_id);
CREATE INDEX offers_customer ON offers (customer_id, created_at);
CREATE INDEX orders_customer_date ON orders (customer_id, ordered_on);
CREATE INDEX orders_date ON orders (ordered_on) INCLUDE (customer_id);
CREATE INDEX payments_order ON payments (order_id);
CREATE INDEX cases_open_customer ON cases (customer_id) WHERE status NOT IN ('resolved', 'closed');
ANALYZE;
