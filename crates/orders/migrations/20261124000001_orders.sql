-- The orders service's replica of tickets, fed by ticket.created / ticket.updated (in version order).
CREATE TABLE tickets (
    id          UUID   PRIMARY KEY,
    title       TEXT   NOT NULL,
    price_cents BIGINT NOT NULL,
    user_id     UUID   NOT NULL,
    version     BIGINT NOT NULL
);

CREATE TABLE orders (
    id         UUID        PRIMARY KEY,
    user_id    UUID        NOT NULL,
    ticket_id  UUID        NOT NULL CONSTRAINT orders_ticket_fk REFERENCES tickets (id),
    status     TEXT        NOT NULL CONSTRAINT orders_status_known
                           CHECK (status IN ('created', 'cancelled', 'awaiting:payment', 'complete')),
    expires_at TIMESTAMPTZ NOT NULL,
    version    BIGINT      NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The database decides reservations: at most one order per ticket that is not cancelled, so N
-- concurrent buyers of one ticket produce exactly one order.
CREATE UNIQUE INDEX orders_one_active_per_ticket ON orders (ticket_id) WHERE status <> 'cancelled';

CREATE INDEX orders_by_user ON orders (user_id, created_at, id);
