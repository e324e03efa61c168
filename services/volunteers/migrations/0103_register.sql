-- The volunteer register. Name, phone and ID number are sealed (ChaCha20-Poly1305 under
-- the deployment's pii key); phone and ID number are found by keyed digest and kept
-- masked for display, so no read needs to open them.
CREATE TABLE volunteers (
    id                   TEXT PRIMARY KEY,
    request_id           TEXT NOT NULL UNIQUE,
    request_hash         TEXT NOT NULL,     -- keyed digest of the request, to refuse reuse
    name_sealed          TEXT NOT NULL,
    phone_sealed         TEXT NOT NULL,
    phone_digest         TEXT NOT NULL,
    phone_masked         TEXT NOT NULL,
    id_number_sealed     TEXT NOT NULL,
    id_number_digest     TEXT NOT NULL UNIQUE,
    id_number_masked     TEXT NOT NULL,
    party_member         BIGINT NOT NULL,
    work_organisation_id TEXT NOT NULL,
    home_community_id    TEXT NOT NULL,
    skills               TEXT NOT NULL,     -- newline-separated
    created_at           BIGINT NOT NULL
);
CREATE INDEX volunteers_by_phone ON volunteers (phone_digest, created_at);
