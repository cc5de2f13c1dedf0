-- An order keeps the ticket's title and price as they were when it was placed: every view of the
-- order shows them and payments charges exactly that price (order.created carries it). The replica
-- version it was based on tells a later listing edit apart from one the order already saw.
ALTER TABLE orders
    ADD COLUMN ticket_title       TEXT,
    ADD COLUMN ticket_price_cents BIGINT,
    ADD COLUMN ticket_version     BIGINT,
    -- Why and when an order was cancelled: the re-order cooldown counts from a buyer's own
    -- cancellation or an expiry, not from a listing change that cancelled the order.
    ADD COLUMN cancelled_at       TIMESTAMPTZ,
    ADD COLUMN cancel_reason      TEXT CONSTRAINT orders_cancel_reason_known
        CHECK (cancel_reason IN ('buyer', 'expired', 'listing_changed'));

UPDATE orders o
   SET ticket_title = t.title, ticket_price_cents = t.price_cents, ticket_version = t.version
  FROM tickets t
 WHERE t.id = o.ticket_id;

ALTER TABLE orders
    ALTER COLUMN ticket_title SET NOT NULL,
    ALTER COLUMN ticket_price_cents SET NOT NULL,
    ALTER COLUMN ticket_version SET NOT NULL;

-- A buyer's unpaid orders, counted under the buyer's lock when a new order is placed.
CREATE INDEX orders_unpaid_by_user ON orders (user_id) WHERE status IN ('created', 'awaiting:payment');

-- A buyer's recent releases of a ticket (the re-order cooldown).
CREATE INDEX orders_released_by_user_and_ticket ON orders (user_id, ticket_id, cancelled_at)
    WHERE status = 'cancelled';
