-- Principals (操作人), their role grants and the API keys issued through the API: data the
-- gateway's replicas reload every `auth.refresh_ms`, so a grant or a revocation needs no
-- restart. Ids are stored lower-case.
CREATE TABLE principals (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,             -- PERSON or SYSTEM
    display_name    TEXT NOT NULL,
    volunteer_id    TEXT NOT NULL,             -- '' when not a volunteer
    organisation_id TEXT NOT NULL,             -- the boundary; '' when unlimited
    registered_by   TEXT NOT NULL,
    registered_at   BIGINT NOT NULL
);
CREATE TABLE role_grants (
    principal_id    TEXT NOT NULL REFERENCES principals (id),
    role            TEXT NOT NULL,
    organisation_id TEXT NOT NULL,             -- '' when programme-wide
    granted_by      TEXT NOT NULL,
    granted_at      BIGINT NOT NULL,
    PRIMARY KEY (principal_id, role, organisation_id)
);
-- Keys issued through the API: the secret's SHA-256 only.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES principals (id),
    sha256       TEXT NOT NULL,
    not_after    BIGINT,
    issued_by    TEXT NOT NULL,
    issued_at    BIGINT NOT NULL
);
-- Revoked keys, issued here or in the key file.
CREATE TABLE key_revocations (
    key_id     TEXT PRIMARY KEY,
    revoked_by TEXT NOT NULL,
    revoked_at BIGINT NOT NULL
);
-- The audit names the credential used beside the caller: key:<id>, jwt:<sub>, cert:<hash>.
ALTER TABLE audit_records ADD COLUMN credential TEXT NOT NULL DEFAULT '';
