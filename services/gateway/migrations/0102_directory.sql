-- The directory as the gateway knows it from the volunteers service's events, to check
-- that a caller limited to an organisation's subtree names organisations within it.
CREATE TABLE known_organisations (
    organisation_id TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    parent_id       TEXT,
    updated_at      BIGINT NOT NULL
);
CREATE TABLE known_communities (
    community_id TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    township     TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);
