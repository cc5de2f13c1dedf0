-- The replica of the orders service's orders (fed by order.created / order.cancelled).
CREATE TABLE orders (
    id          UUID        NOT NULL CONSTRAINT orders_pkey PRIMARY KEY,
    user_id     UUID        NOT NULL,
    status      TEXT        NOT NULL
        CONSTRAINT orders_status_check
        CHECK (status IN ('created', 'cancelled', 'awaiting:payment', 'complete')),
    price_cents BIGINT      NOT NULL CONSTRAINT orders_price_cents_check CHECK (price_cents > 0),
    version     BIGINT      NOT NULL CONSTRAINT orders_version_check CHECK (version >= 0),
    expires_at  TIMESTAMPTZ NOT NULL
);

-- Every charge the service kept (succeeded) or gave back (refunded).
CREATE TABLE payments (
    id         UUID        NOT NULL CONSTRAINT payments_pkey PRIMARY KEY,
    order_id   UUID        NOT NULL
        CONSTRAINT payments_order_id_fkey REFERENCES orders (id),
    stripe_id  TEXT        NOT NULL,
    status     TEXT        NOT NULL
        CONSTRAINT payments_status_check CHECK (status IN ('succeeded', 'refunded')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- At most one kept payment per order: the database decides a race between two payments.
CREATE UNIQUE INDEX payments_one_succeeded_per_order
    ON payments (order_id) WHERE status = 'succeeded';

CREATE INDEX payments_order_id_idx ON payments (order_id);
