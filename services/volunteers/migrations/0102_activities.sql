-- Activities volunteers sign up for, and each volunteer's part in one: the service
-- record that VerifyHours turns into a HoursVerified event.
CREATE TABLE activities (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL UNIQUE,      -- the creator's idempotency key
    request_hash TEXT NOT NULL,             -- what it was used for, to refuse reuse
    title        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    community_id TEXT NOT NULL,
    project_id   TEXT,
    start_at     BIGINT NOT NULL,
    capacity     BIGINT NOT NULL CHECK (capacity > 0),
    signed_up    BIGINT NOT NULL DEFAULT 0 CHECK (signed_up >= 0 AND signed_up <= capacity),
    created_at   BIGINT NOT NULL
);

CREATE TABLE participations (
    activity_id  TEXT NOT NULL REFERENCES activities (id),
    volunteer_id TEXT NOT NULL,
    signed_up_at BIGINT NOT NULL,
    check_in_at  BIGINT,
    check_out_at BIGINT,
    minutes      BIGINT,
    record_id    TEXT UNIQUE,               -- set when verified
    verified_by  TEXT,
    PRIMARY KEY (activity_id, volunteer_id)
);
