-- The programme's directory: organisations (with a hierarchy) and communities, each under
-- the id its registrar chose, which every other service refers to.
CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    parent_id  TEXT,
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX organisations_by_parent ON organisations (parent_id, id);
CREATE INDEX organisations_by_kind ON organisations (kind, id);

CREATE TABLE communities (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    township   TEXT NOT NULL,
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX communities_by_township ON communities (township, id);
