-- The whole shared library: needs, the lifecycle, claims, visits, contracts, the
-- timeline, maintained counters and the read models of other services' facts.

ALTER TABLE projects ADD COLUMN planned_budget_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN start_date TEXT;
ALTER TABLE projects ADD COLUMN end_date TEXT;
ALTER TABLE projects ADD COLUMN lead_organisation TEXT;
ALTER TABLE projects ADD COLUMN pending_dispatch TEXT;
ALTER TABLE projects ADD COLUMN outcome_beneficiaries BIGINT;
ALTER TABLE projects ADD COLUMN outcome_summary TEXT;
ALTER TABLE projects ADD COLUMN cancel_reason TEXT;
ALTER TABLE projects ADD COLUMN visits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN person_times BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN funded_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN volunteer_minutes BIGINT NOT NULL DEFAULT 0;
-- Lower-cased title and description, for text search.
ALTER TABLE projects ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN history_seq BIGINT NOT NULL DEFAULT 0;
UPDATE projects SET search_text = LOWER(title || ' ' || description);
CREATE INDEX projects_by_status ON projects (status, id);
CREATE INDEX projects_by_lead ON projects (lead_organisation, id);

-- The communities a project serves (projects.community_id stays the first of them).
CREATE TABLE project_communities (
    project_id   TEXT NOT NULL,
    community_id TEXT NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (project_id, community_id)
);
CREATE INDEX project_communities_by_community ON project_communities (community_id, project_id);
INSERT INTO project_communities (project_id, community_id, position)
    SELECT id, community_id, 0 FROM projects;

CREATE TABLE project_co_organisers (
    project_id      TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    added_at        BIGINT NOT NULL,
    PRIMARY KEY (project_id, organisation_id)
);

-- Every change, hand-over, visit and update of a project, in order.
CREATE TABLE project_history (
    project_id      TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    detail          TEXT NOT NULL,
    organisation_id TEXT,
    request_id      TEXT UNIQUE,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (project_id, seq)
);

CREATE TABLE needs (
    id                 TEXT PRIMARY KEY,
    request_key        TEXT NOT NULL UNIQUE,  -- req:<request_id>, csv:id:<row id> or csv:sha:<content>
    request_hash       TEXT NOT NULL,
    channel            TEXT NOT NULL,
    community_id       TEXT NOT NULL,
    description        TEXT NOT NULL,
    suggested_category TEXT,
    contact_sealed     TEXT,                  -- ChaCha20-Poly1305 under pii.key, hex
    contact_masked     TEXT NOT NULL,
    status             TEXT NOT NULL,
    project_id         TEXT,
    duplicate_of       TEXT,
    decline_reason     TEXT,
    created_at         BIGINT NOT NULL,
    reviewed_at        BIGINT
);
CREATE INDEX needs_by_status ON needs (status, id);
CREATE INDEX needs_by_community ON needs (community_id, id);
CREATE INDEX needs_by_project ON needs (project_id);

CREATE TABLE visits (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL UNIQUE,
    request_hash  TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    community_id  TEXT NOT NULL,
    visit_date    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    person_times  BIGINT NOT NULL,
    volunteer_ids TEXT NOT NULL,              -- comma-separated directory ids
    created_at    BIGINT NOT NULL
);
CREATE INDEX visits_by_project ON visits (project_id, id);
CREATE INDEX visits_by_community ON visits (community_id, id);

CREATE TABLE community_totals (
    community_id TEXT PRIMARY KEY,
    visits       BIGINT NOT NULL,
    person_times BIGINT NOT NULL
);

CREATE TABLE contracts (
    id                 TEXT PRIMARY KEY,
    request_id         TEXT NOT NULL UNIQUE,
    request_hash       TEXT NOT NULL,
    provider_kind      TEXT NOT NULL,
    provider_id        TEXT NOT NULL,
    community_id       TEXT NOT NULL,
    services           TEXT NOT NULL,         -- unit-separator-joined
    start_date         TEXT NOT NULL,
    end_date           TEXT NOT NULL,
    status             TEXT NOT NULL,
    termination_reason TEXT,
    project_id         TEXT,
    renewals           BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX contracts_by_community ON contracts (community_id, id);
CREATE INDEX contracts_by_provider ON contracts (provider_id, id);
CREATE INDEX contracts_expiring ON contracts (status, end_date);

-- Counters kept in the same transaction as each change, so dashboards never scan.
CREATE TABLE project_counts (
    dimension TEXT NOT NULL,   -- total, category, status, community, need_channel, visits, person_times
    key       TEXT NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (dimension, key)
);
INSERT INTO project_counts (dimension, key, count) SELECT 'total', '', COUNT(*) FROM projects;
INSERT INTO project_counts (dimension, key, count) SELECT 'category', category, COUNT(*) FROM projects GROUP BY category;
INSERT INTO project_counts (dimension, key, count) SELECT 'status', status, COUNT(*) FROM projects GROUP BY status;
INSERT INTO project_counts (dimension, key, count) SELECT 'community', community_id, COUNT(*) FROM projects GROUP BY community_id;

-- The directory as the volunteers service publishes it.
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
