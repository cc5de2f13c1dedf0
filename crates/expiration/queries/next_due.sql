-- The earliest pending expiration (one index lookup; none when nothing is pending) and the
-- database's clock.
SELECT (SELECT min(expires_at) FROM expirations) AS "next_due?", now() AS "now!"
