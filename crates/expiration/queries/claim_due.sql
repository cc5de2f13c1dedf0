-- Claims up to $1 due expirations, deleting them. Rows another replica is sweeping are skipped,
-- so each expiration is claimed by exactly one transaction. Walks expirations_expires_at_idx.
DELETE FROM expirations WHERE order_id IN (
    SELECT order_id FROM expirations
    WHERE expires_at <= now()
    ORDER BY expires_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
RETURNING order_id AS "order_id: OrderId", expires_at, traceparent
