-- The funds service's read model of the projects it may grant money to, kept from the
-- projects service's events (never read from its tables).
CREATE TABLE known_projects (
    project_id   TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    category     INTEGER NOT NULL,
    community_id TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    revision     BIGINT NOT NULL,   -- events applied to this row
    updated_at   BIGINT NOT NULL
);
