-- A page of the seller $4's tickets in every state, after the cursor ($1, $2), $3 rows, walking
-- the tickets-by-seller index.
SELECT t.id AS "id: TicketId", t.title, t.price_cents AS "price_cents: Price",
       t.user_id AS "user_id: UserId", t.version, t.order_id AS "order_id: OrderId",
       t.created_at, h.expires_at AS "hold_expires_at?", h.paid AS "hold_paid?"
FROM (SELECT id, title, price_cents, user_id, version, order_id, created_at
      FROM tickets
      WHERE user_id = $4
        AND ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2::uuid))
      ORDER BY created_at ASC, id ASC
      LIMIT $3) t
LEFT JOIN ticket_orders h ON h.order_id = t.order_id
ORDER BY t.created_at ASC, t.id ASC
