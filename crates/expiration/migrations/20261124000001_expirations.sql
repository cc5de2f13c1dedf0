-- One row per order waiting to expire. The sweeper claims due rows through the index on
-- expires_at, so the number of pending expirations costs no memory in the process.
CREATE TABLE expirations (
    order_id   UUID        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT expirations_pkey PRIMARY KEY (order_id)
);

CREATE INDEX expirations_expires_at_idx ON expirations (expires_at);

-- Orders that no longer need an expiration: cancelled, paid, or already expired. A late or
-- redelivered order.created for one of them must not schedule it again.
CREATE TABLE finished_orders (
    order_id    UUID        NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT finished_orders_pkey PRIMARY KEY (order_id)
);
