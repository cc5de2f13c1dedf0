-- The W3C trace context of the span that wrote the event (NULL when it had none), so the relay
-- can send it as the `traceparent` header and the consumer continues the same trace.
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
