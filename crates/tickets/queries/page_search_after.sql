-- A page of the tickets on sale whose title words match the search $4 (a tsquery), after the
-- cursor ($1, $2), $3 rows. The planner cannot estimate how many titles a prefix matches and may
-- walk the age index filtering every row (100,000 for a rare word): the matches on sale are read
-- from the words index first, in one scan (OFFSET 0 keeps it apart), then ordered.
SELECT t.id AS "id: TicketId", t.title, t.price_cents AS "price_cents: Price",
       t.user_id AS "user_id: UserId", t.version, t.order_id AS "order_id: OrderId",
       t.created_at, h.expires_at AS "hold_expires_at?", h.paid AS "hold_paid?"
FROM (SELECT id, title, price_cents, user_id, version, order_id, created_at
      FROM (SELECT id, title, price_cents, user_id, version, order_id, created_at
            FROM tickets
            WHERE order_id IS NULL
              AND title_words @@ to_tsquery('simple',
                      public.unaccent('public.unaccent'::regdictionary, $4))
            OFFSET 0) matches
      WHERE $1::timestamptz IS NULL OR (created_at, id) > ($1, $2::uuid)
      ORDER BY created_at ASC, id ASC
      LIMIT $3) t
LEFT JOIN ticket_orders h ON h.order_id = t.order_id
ORDER BY t.created_at ASC, t.id ASC
