-- Users of the marketplace. The unique constraint on the (trimmed, lower-cased) email decides
-- concurrent sign-ups of one address: exactly one insert wins.
CREATE TABLE users (
    id            UUID        NOT NULL CONSTRAINT users_pkey PRIMARY KEY,
    email         TEXT        NOT NULL CONSTRAINT users_email_key UNIQUE,
    password_hash TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_email_not_blank CHECK (email <> ''),
    CONSTRAINT users_password_hash_not_blank CHECK (password_hash <> '')
);
