-- The shared project library.
CREATE TABLE projects (
    id           TEXT PRIMARY KEY,          -- UUIDv7: time-ordered, the keyset paging key
    request_id   TEXT NOT NULL UNIQUE,      -- the creator's idempotency key
    request_hash TEXT NOT NULL,             -- what was asked with it, to refuse a different body
    title        TEXT NOT NULL,
    category     TEXT NOT NULL,
    community_id TEXT NOT NULL,
    description  TEXT NOT NULL,
    status       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX projects_by_category ON projects (category, id);
