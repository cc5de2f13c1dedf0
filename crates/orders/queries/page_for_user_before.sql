-- A page of the buyer $1's orders of every status before the cursor ($2 created_at, $3 id),
-- newest first (the caller puts them back in order), $4 rows, walking the orders-by-user index.
SELECT id AS "id: OrderId", user_id AS "user_id: UserId", ticket_id AS "ticket_id: TicketId",
       status AS "status: OrderStatus", expires_at, version, ticket_title,
       ticket_price_cents AS "ticket_price_cents: Price", ticket_version, created_at,
       cancel_reason AS "cancel_reason: CancelReason"
FROM orders
WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
ORDER BY created_at DESC, id DESC
LIMIT $4
