-- A fund belongs to an organisation of the directory (its owner: who approves its grants
-- and who sees it); '' is the programme office's own fund. The directory is kept as a read
-- model from the volunteers service's events, so roles and boundaries can walk it.

ALTER TABLE funds ADD COLUMN organisation_id TEXT NOT NULL DEFAULT '';
CREATE INDEX funds_by_organisation ON funds (organisation_id, id);

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
