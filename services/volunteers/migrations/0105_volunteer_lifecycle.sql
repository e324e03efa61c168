-- A volunteer's life in the register: edits at a version, withdrawal, erasure of their
-- personal data, and the history of where they worked and lived (双报到), so hours and
-- evaluations stay attributed to where the volunteer was at the time.
ALTER TABLE volunteers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE volunteers ADD COLUMN status TEXT NOT NULL DEFAULT 'ACTIVE';  -- ACTIVE, WITHDRAWN, ERASED
ALTER TABLE volunteers ADD COLUMN status_changed_at BIGINT;               -- withdrawn, then erased
ALTER TABLE volunteers ADD COLUMN withdrawal_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX volunteers_by_status ON volunteers (status, id);

-- One stretch of a volunteer's affiliation; `valid_until` is NULL while current. The
-- first stretch of a volunteer registered before this table existed takes the
-- volunteer's own id.
CREATE TABLE volunteer_affiliations (
    id                   TEXT PRIMARY KEY,
    volunteer_id         TEXT NOT NULL REFERENCES volunteers (id),
    work_organisation_id TEXT NOT NULL,
    home_community_id    TEXT NOT NULL,
    party_member         BIGINT NOT NULL,
    valid_from           BIGINT NOT NULL,
    valid_until          BIGINT
);
CREATE INDEX volunteer_affiliations_by_volunteer ON volunteer_affiliations (volunteer_id, id);
CREATE INDEX volunteer_affiliations_by_home ON volunteer_affiliations (home_community_id, id);
CREATE INDEX volunteer_affiliations_by_work ON volunteer_affiliations (work_organisation_id, id);
INSERT INTO volunteer_affiliations
    (id, volunteer_id, work_organisation_id, home_community_id, party_member, valid_from)
    SELECT id, id, work_organisation_id, home_community_id, party_member, created_at
    FROM volunteers;
