-- A charge is a recorded intent: the attempt is committed before the provider is called, and its
-- outcome recorded after. An attempt left in `charging` (the process died, or the provider did not
-- answer) is resolved by the sweeper, which repeats the call with the same idempotency key: the
-- provider answers with the original outcome instead of charging twice.
CREATE TABLE payment_attempts (
    id              UUID        NOT NULL CONSTRAINT payment_attempts_pkey PRIMARY KEY,
    order_id        UUID        NOT NULL
        CONSTRAINT payment_attempts_order_id_fkey REFERENCES orders (id),
    amount_cents    BIGINT      NOT NULL CONSTRAINT payment_attempts_amount_check CHECK (amount_cents > 0),
    -- The card token: a repeated call must carry the same parameters as the first.
    source          TEXT        NOT NULL,
    idempotency_key TEXT        NOT NULL CONSTRAINT payment_attempts_key_unique UNIQUE,
    state           TEXT        NOT NULL
        CONSTRAINT payment_attempts_state_check
        CHECK (state IN ('charging', 'charged', 'declined', 'abandoned')),
    -- The provider's charge, once known (its payment row says whether it was kept or refunded).
    charge_id       TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A lease: the sweeper leaves an attempt alone until it is this old.
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolutions     INTEGER     NOT NULL DEFAULT 0
);

CREATE INDEX payment_attempts_charging ON payment_attempts (updated_at) WHERE state = 'charging';
