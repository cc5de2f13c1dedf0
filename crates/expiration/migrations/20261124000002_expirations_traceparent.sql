-- The trace context of the order.created handling that scheduled the expiration, so that its
-- expiration.complete continues the purchase's trace (NULL when there was none).
ALTER TABLE expirations ADD COLUMN traceparent TEXT;
