-- The sweeper forgets finished orders once no delivery can bring their order.created back
-- (older than the stream's retention); this index finds them without reading the whole table.
CREATE INDEX finished_orders_finished_at_idx ON finished_orders (finished_at);
