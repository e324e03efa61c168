-- Orders close, and delivered units are refused on quality: what was refused, why and
-- when, on the take itself (one refusal per take).
ALTER TABLE orders ADD COLUMN closed_at BIGINT;
ALTER TABLE orders ADD COLUMN close_reason TEXT;
ALTER TABLE takes ADD COLUMN rejected BIGINT;
ALTER TABLE takes ADD COLUMN reject_reason TEXT;
ALTER TABLE takes ADD COLUMN rejected_at BIGINT;
