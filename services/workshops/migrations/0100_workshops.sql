-- The workshops service's own tables arrive with its issue; this marks the schema as its own.
CREATE TABLE workshops_schema (name TEXT PRIMARY KEY);
