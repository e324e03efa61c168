-- Planned milestones beside the notes written after the fact, and the day a dispatched
-- organisation must answer by.
ALTER TABLE projects ADD COLUMN dispatch_respond_by TEXT;     -- YYYY-MM-DD
CREATE TABLE milestones (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    project_id   TEXT NOT NULL REFERENCES projects (id),
    title        TEXT NOT NULL,
    due_on       TEXT NOT NULL,                               -- YYYY-MM-DD
    progress     BIGINT NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    reached_at   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX milestones_by_project ON milestones (project_id, due_on, id);
