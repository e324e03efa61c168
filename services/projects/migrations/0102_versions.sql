-- Contracts change under optimistic concurrency like projects; progress updates remember
-- what was asked with their idempotency key.
ALTER TABLE contracts ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE project_history ADD COLUMN request_hash TEXT;
