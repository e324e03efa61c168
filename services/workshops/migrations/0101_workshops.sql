-- Common-prosperity workshops: the catalogue of brands, workshops and their support, the
-- people appointed around them, workers and their income, the order flow, problems, and
-- the counters behind the dashboard figures. Plus read models of the directory and the
-- volunteer register, kept from the volunteers service's events.

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
CREATE TABLE known_volunteers (
    volunteer_id         TEXT PRIMARY KEY,
    work_organisation_id TEXT NOT NULL,
    home_community_id    TEXT NOT NULL,
    updated_at           BIGINT NOT NULL
);

-- "One department one product": a department sponsors one brand.
CREATE TABLE brands (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    department_id TEXT NOT NULL UNIQUE,
    description   TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE workshops (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL UNIQUE,
    request_hash  TEXT NOT NULL,
    name          TEXT NOT NULL,
    community_id  TEXT NOT NULL,
    host_firm     TEXT NOT NULL,
    department_id TEXT NOT NULL,
    mode          TEXT NOT NULL,
    brand_id      TEXT NOT NULL REFERENCES brands (id),
    status        TEXT NOT NULL,
    workers       BIGINT NOT NULL DEFAULT 0,
    version       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX workshops_by_mode ON workshops (mode, id);
CREATE INDEX workshops_by_brand ON workshops (brand_id, id);
CREATE INDEX workshops_by_community ON workshops (community_id, id);
CREATE INDEX workshops_by_status ON workshops (status, id);

CREATE TABLE support (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    workshop_id  TEXT NOT NULL REFERENCES workshops (id),
    kind         TEXT NOT NULL,
    description  TEXT NOT NULL,
    value_fen    BIGINT NOT NULL,
    given_on     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX support_by_workshop ON support (workshop_id, id);

CREATE TABLE appointments (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    volunteer_id TEXT NOT NULL,
    role         TEXT NOT NULL,
    workshop_id  TEXT REFERENCES workshops (id),
    community_id TEXT,
    firm         TEXT,
    stars        BIGINT NOT NULL DEFAULT 0,
    active       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    ended_at     BIGINT
);
CREATE INDEX appointments_by_role ON appointments (role, active, volunteer_id);
CREATE INDEX appointments_by_workshop ON appointments (workshop_id, id);
CREATE INDEX appointments_by_volunteer ON appointments (volunteer_id, id);

CREATE TABLE broker_ratings (
    id             TEXT PRIMARY KEY,
    request_id     TEXT NOT NULL UNIQUE,
    request_hash   TEXT NOT NULL,
    appointment_id TEXT NOT NULL REFERENCES appointments (id),
    stars          BIGINT NOT NULL CHECK (stars BETWEEN 1 AND 5),
    note           TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX broker_ratings_by_appointment ON broker_ratings (appointment_id, id);

-- A worker's name, phone and ID number are sealed (ChaCha20-Poly1305 under the pii key)
-- and kept masked; the ID number also as a keyed digest, one enrolment per workshop.
CREATE TABLE workers (
    id               TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL UNIQUE,
    request_hash     TEXT NOT NULL,
    workshop_id      TEXT NOT NULL REFERENCES workshops (id),
    name_sealed      TEXT NOT NULL,
    name_masked      TEXT NOT NULL,
    phone_sealed     TEXT NOT NULL,
    phone_masked     TEXT NOT NULL,
    id_number_sealed TEXT NOT NULL,
    id_number_digest TEXT NOT NULL,
    id_number_masked TEXT NOT NULL,
    birth_year       BIGINT NOT NULL,
    background       TEXT NOT NULL,
    baseline_fen     BIGINT NOT NULL,
    joined_on        TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (workshop_id, id_number_digest)
);
CREATE INDEX workers_by_workshop ON workers (workshop_id, id);

CREATE TABLE income_records (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    worker_id    TEXT NOT NULL REFERENCES workers (id),
    workshop_id  TEXT NOT NULL,
    month        TEXT NOT NULL,
    amount_fen   BIGINT NOT NULL,
    source       TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX income_records_by_worker ON income_records (worker_id, month);

-- Each worker's income per month, kept with every income record, so uplift per worker
-- and per workshop reads one row per month.
CREATE TABLE worker_months (
    worker_id   TEXT NOT NULL REFERENCES workers (id),
    month       TEXT NOT NULL,
    workshop_id TEXT NOT NULL,
    income_fen  BIGINT NOT NULL,
    PRIMARY KEY (worker_id, month)
);
CREATE INDEX worker_months_by_workshop ON worker_months (workshop_id, month);

CREATE TABLE orders (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    workshop_id  TEXT NOT NULL REFERENCES workshops (id),
    firm         TEXT NOT NULL,
    product      TEXT NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    unit_pay_fen BIGINT NOT NULL CHECK (unit_pay_fen > 0),
    dispatched   BIGINT NOT NULL DEFAULT 0 CHECK (dispatched >= 0 AND dispatched <= quantity),
    delivered    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

CREATE TABLE tasks (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    taken        BIGINT NOT NULL DEFAULT 0 CHECK (taken >= 0 AND taken <= quantity),
    created_at   BIGINT NOT NULL
);
CREATE INDEX tasks_by_order ON tasks (order_id, id);

CREATE TABLE takes (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    task_id      TEXT NOT NULL REFERENCES tasks (id),
    worker_id    TEXT NOT NULL REFERENCES workers (id),
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    delivered    BIGINT,
    pay_fen      BIGINT,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT
);

CREATE TABLE problems (
    id                TEXT PRIMARY KEY,
    request_id        TEXT NOT NULL UNIQUE,
    request_hash      TEXT NOT NULL,
    workshop_id       TEXT NOT NULL REFERENCES workshops (id),
    category          TEXT NOT NULL,
    description       TEXT NOT NULL,
    status            TEXT NOT NULL,
    assignee_id       TEXT,
    resolution        TEXT,
    escalation_reason TEXT,
    created_at        BIGINT NOT NULL,
    resolved_at       BIGINT
);
CREATE INDEX problems_by_workshop ON problems (workshop_id, id);
CREATE INDEX problems_by_status ON problems (status, id);

CREATE TABLE workshop_count_shards (
    dimension TEXT NOT NULL,
    key       TEXT NOT NULL,
    shard     BIGINT NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (dimension, key, shard)
);
