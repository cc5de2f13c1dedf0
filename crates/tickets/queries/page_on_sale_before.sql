-- A page of the tickets on sale (not reserved) before the cursor ($1 created_at, $2 id; none
-- for the first page), $3 rows, walking the free-tickets-by-age index; only the page's rows are
-- joined to their holds.
SELECT t.id AS "id: TicketId", t.title, t.price_cents AS "price_cents: Price",
       t.user_id AS "user_id: UserId", t.version, t.order_id AS "order_id: OrderId",
       t.created_at, h.expires_at AS "hold_expires_at?", h.paid AS "hold_paid?"
FROM (SELECT id, title, price_cents, user_id, version, order_id, created_at
      FROM tickets
      WHERE order_id IS NULL
        AND ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
      ORDER BY created_at DESC, id DESC
      LIMIT $3) t
LEFT JOIN ticket_orders h ON h.order_id = t.order_id
ORDER BY t.created_at DESC, t.id DESC
