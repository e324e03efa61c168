-- Activities change after creation: edits at a version, cancellation, and organisations
-- running one together (the health and civil-affairs bureaus). The co-organisers are kept
-- twice, written together: newline-separated on the activity, which reads need, and one
-- row each, which boundary filters need.
ALTER TABLE activities ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE activities ADD COLUMN co_organisers TEXT NOT NULL DEFAULT '';
ALTER TABLE activities ADD COLUMN cancelled_at BIGINT;
ALTER TABLE activities ADD COLUMN cancel_reason TEXT;
CREATE TABLE activity_co_organisers (
    activity_id     TEXT NOT NULL REFERENCES activities (id),
    organisation_id TEXT NOT NULL,
    PRIMARY KEY (activity_id, organisation_id)
);
CREATE INDEX activity_co_organisers_by_organisation
    ON activity_co_organisers (organisation_id, activity_id);
