-- A principal may be limited to a township (镇 / 街道) instead of an organisation's subtree.
ALTER TABLE principals ADD COLUMN township TEXT NOT NULL DEFAULT '';
