-- The transactional outbox, shared by every service's database (see common::bus::outbox).
CREATE TABLE outbox (
    seq        BIGSERIAL PRIMARY KEY,
    id         UUID        NOT NULL CONSTRAINT outbox_id_key UNIQUE,
    subject    TEXT        NOT NULL,
    payload    TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Wakes the relay when a transaction that wrote events commits (NOTIFY is delivered on commit).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
