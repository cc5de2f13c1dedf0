-- Title search: words, whatever their case or accents ("cafe" finds "Café"), by prefix. The
-- words are kept in a generated column with a GIN index. unaccent() is only STABLE (its rules
-- could change), so an immutable wrapper naming the dictionary is what the column uses; a change
-- of the rules would need the column regenerated.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE FUNCTION ticket_title_words(title text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT to_tsvector('simple', public.unaccent('public.unaccent'::regdictionary, title)) $$;

ALTER TABLE tickets ADD COLUMN title_words tsvector
    GENERATED ALWAYS AS (ticket_title_words(title)) STORED;

CREATE INDEX tickets_title_words ON tickets USING gin (title_words);

-- A seller's listings, every state, oldest first.
CREATE INDEX tickets_by_seller ON tickets (user_id, created_at, id);

-- What the seller's dashboard shows of the order holding a ticket: when its hold ends, and
-- whether it was paid (then the ticket is sold).
ALTER TABLE ticket_orders
    ADD COLUMN expires_at TIMESTAMPTZ,
    ADD COLUMN paid       BOOLEAN NOT NULL DEFAULT false;
