CREATE TABLE tickets (
    id          UUID        PRIMARY KEY,
    title       TEXT        NOT NULL,
    price_cents BIGINT      NOT NULL CONSTRAINT tickets_price_positive CHECK (price_cents > 0),
    user_id     UUID        NOT NULL,
    version     BIGINT      NOT NULL DEFAULT 0,
    -- The order holding the ticket, derived from ticket_orders; NULL when free.
    order_id    UUID,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- GET /api/tickets lists free tickets, oldest first.
CREATE INDEX tickets_free_by_age ON tickets (created_at, id) WHERE order_id IS NULL;

-- Each order's latest known state, per ticket (SPEC §5). order.created and order.cancelled travel
-- on different subjects and may arrive in any order; the holder is derived from this table, so a
-- cancellation that arrives before its creation is remembered and the creation does not reserve.
CREATE TABLE ticket_orders (
    order_id  UUID    PRIMARY KEY,
    ticket_id UUID    NOT NULL,
    version   BIGINT  NOT NULL,
    active    BOOLEAN NOT NULL
);

CREATE INDEX ticket_orders_active_by_ticket ON ticket_orders (ticket_id) WHERE active;
