-- The gateway's own tables (API keys, audit) arrive with its issue.
CREATE TABLE gateway_schema (name TEXT PRIMARY KEY);
