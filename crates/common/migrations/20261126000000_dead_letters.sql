-- Events a listener gave up on (undecodable, or still failing after its last delivery), kept with
-- everything needed to replay them once the cause is fixed (see common::bus::dead_letters).
CREATE TABLE dead_letters (
    id          UUID        NOT NULL CONSTRAINT dead_letters_pkey PRIMARY KEY,
    service     TEXT        NOT NULL,
    subject     TEXT        NOT NULL,
    event_id    TEXT,
    payload     BYTEA       NOT NULL,
    headers     JSONB       NOT NULL,
    reason      TEXT        NOT NULL,
    deliveries  BIGINT      NOT NULL,
    failed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    replayed_at TIMESTAMPTZ
);

CREATE INDEX dead_letters_pending ON dead_letters (failed_at) WHERE replayed_at IS NULL;
