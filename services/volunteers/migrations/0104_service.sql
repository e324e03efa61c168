-- The rest of the volunteers service: activities that complete (with the organisation
-- that runs them and the people served), service records, teams, links between
-- organisations and the communities they serve, two-place evaluations, micro-wishes, and
-- the counters behind the dashboard figures.

-- The Four Ones and the meal chain were one kind each; each step has its own kind now. No
-- deployment holds these yet; a stored one becomes the nearest new kind.
UPDATE activities SET kind = 'PRACTICAL_MATTER' WHERE kind = 'FOUR_ONES';
UPDATE activities SET kind = 'MEAL_DELIVER' WHERE kind = 'MEALS';
ALTER TABLE activities ADD COLUMN organisation_id TEXT;
ALTER TABLE activities ADD COLUMN people_served BIGINT;
ALTER TABLE activities ADD COLUMN completed_at BIGINT;
CREATE INDEX activities_by_community ON activities (community_id, id);
CREATE INDEX activities_by_organiser ON activities (organisation_id, community_id, kind, start_at);

-- A verified service record, kept apart from the participation so hours per volunteer,
-- organisation and community over a period are one index range each.
CREATE TABLE service_records (
    record_id       TEXT PRIMARY KEY,
    volunteer_id    TEXT NOT NULL,
    organisation_id TEXT NOT NULL,        -- the volunteer's work side when verified
    community_id    TEXT NOT NULL,        -- the community served
    activity_id     TEXT NOT NULL REFERENCES activities (id),
    served_at       BIGINT NOT NULL,      -- arrival
    minutes         BIGINT NOT NULL,
    verified_by     TEXT NOT NULL,
    verified_at     BIGINT NOT NULL
);
CREATE INDEX service_records_by_volunteer ON service_records (volunteer_id, served_at, record_id);
CREATE INDEX service_records_by_organisation ON service_records (organisation_id, served_at);
CREATE INDEX service_records_by_community ON service_records (community_id, served_at);
INSERT INTO service_records
    SELECT p.record_id, p.volunteer_id, v.work_organisation_id, a.community_id, p.activity_id,
           p.check_in_at, p.minutes, p.verified_by, p.check_out_at
    FROM participations p
    JOIN activities a ON a.id = p.activity_id
    JOIN volunteers v ON v.id = p.volunteer_id
    WHERE p.record_id IS NOT NULL;

CREATE TABLE teams (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL UNIQUE,
    request_hash    TEXT NOT NULL,
    name            TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    skills          TEXT NOT NULL,        -- newline-separated
    member_count    BIGINT NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_at      BIGINT NOT NULL,
    UNIQUE (organisation_id, name)
);

CREATE TABLE team_members (
    team_id      TEXT NOT NULL REFERENCES teams (id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    joined_at    BIGINT NOT NULL,
    PRIMARY KEY (team_id, volunteer_id)
);

CREATE TABLE community_links (
    organisation_id TEXT NOT NULL,
    community_id    TEXT NOT NULL,
    linked_at       BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, community_id)
);

-- One rating per side per period: the primary key is the rule.
CREATE TABLE evaluations (
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
    period       TEXT NOT NULL,           -- a quarter, 2026-Q3
    side         TEXT NOT NULL,           -- WORK or HOME
    request_id   TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    score        BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment      TEXT NOT NULL,
    evaluator    TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (volunteer_id, period, side)
);

-- A child's micro-wish: an alias and an age band, never a name.
CREATE TABLE wishes (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL UNIQUE,
    request_hash  TEXT NOT NULL,
    child_alias   TEXT NOT NULL,
    age_band      TEXT NOT NULL,
    community_id  TEXT NOT NULL,
    wish          TEXT NOT NULL,
    status        TEXT NOT NULL,          -- OPEN, ADOPTED, FULFILLED, CANCELLED
    adopter_id    TEXT REFERENCES volunteers (id),
    fulfil_note   TEXT,
    cancel_reason TEXT,
    created_at    BIGINT NOT NULL,
    adopted_at    BIGINT,
    closed_at     BIGINT
);
CREATE INDEX wishes_by_community ON wishes (community_id, id);
CREATE INDEX wishes_by_status ON wishes (status, id);

-- The dashboard figures, kept as each write happens (see xingfu_platform::counters).
CREATE TABLE volunteer_count_shards (
    dimension TEXT NOT NULL,
    key       TEXT NOT NULL,
    shard     BIGINT NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (dimension, key, shard)
);
INSERT INTO volunteer_count_shards (dimension, key, shard, count)
    SELECT 'volunteers', 'all', 0, COUNT(*) FROM volunteers;
INSERT INTO volunteer_count_shards (dimension, key, shard, count)
    SELECT 'volunteers', 'party', 0, COUNT(*) FROM volunteers WHERE party_member <> 0;
INSERT INTO volunteer_count_shards (dimension, key, shard, count)
    SELECT 'activities', kind, 0, COUNT(*) FROM activities GROUP BY kind;
INSERT INTO volunteer_count_shards (dimension, key, shard, count)
    SELECT 'volunteer_times', a.kind, 0, COUNT(*)
    FROM service_records r JOIN activities a ON a.id = r.activity_id GROUP BY a.kind;
INSERT INTO volunteer_count_shards (dimension, key, shard, count)
    SELECT 'service', 'records', 0, COUNT(*) FROM service_records;
INSERT INTO volunteer_count_shards (dimension, key, shard, count)
    SELECT 'service', 'minutes', 0, COALESCE(SUM(minutes), 0) FROM service_records;
INSERT INTO volunteer_count_shards (dimension, key, shard, count)
    SELECT 'organisations', kind, 0, COUNT(*) FROM organisations GROUP BY kind;
