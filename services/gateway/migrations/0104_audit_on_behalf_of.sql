-- A write a delegate made for another person names that person beside the caller.
ALTER TABLE audit_records ADD COLUMN on_behalf_of TEXT NOT NULL DEFAULT '';
