-- The fake payment provider's ledger (crate::provider::fake): its charges, declines and refunds,
-- shared by every replica and kept across restarts. Not a migration: a database whose provider is
-- Stripe never gets it. FakeProvider::connect runs this file on whatever database it is given,
-- hence IF NOT EXISTS and the lock (replicas starting together create it once);
-- scripts/sqlx-prepare.sh applies it too, so the fake provider's statements are checked at
-- compile time like the service's own.
SELECT pg_advisory_xact_lock(7364);

CREATE SCHEMA IF NOT EXISTS fake_provider;

CREATE TABLE IF NOT EXISTS fake_provider.charges (
    id              TEXT        PRIMARY KEY,
    idempotency_key TEXT        NOT NULL UNIQUE,
    amount_cents    BIGINT      NOT NULL,
    source          TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS fake_provider.declines (
    idempotency_key TEXT   PRIMARY KEY,
    amount_cents    BIGINT NOT NULL,
    source          TEXT   NOT NULL,
    message         TEXT   NOT NULL
);

CREATE TABLE IF NOT EXISTS fake_provider.refunds (
    charge_id       TEXT        PRIMARY KEY REFERENCES fake_provider.charges (id),
    idempotency_key TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
