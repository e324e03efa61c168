-- The audit trail: one row per write call through the gateway. Ids and outcomes only:
-- never a secret, never personal data.
CREATE TABLE audit_records (
    id          TEXT PRIMARY KEY,          -- UUIDv7: newest sorts last
    at          BIGINT NOT NULL,           -- when the call ended, microseconds
    caller      TEXT NOT NULL,
    method      TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    outcome     TEXT NOT NULL,             -- gRPC code name
    trace_id    TEXT NOT NULL,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX audit_records_by_caller ON audit_records (caller, id);
