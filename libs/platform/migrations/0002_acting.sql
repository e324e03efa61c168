-- Who acted, beside each event: the authenticated caller whose call caused it and, when a
-- delegate named another person as the actor, that person. NULL for changes no call made
-- (a consumer applying another service's event, a background job).
ALTER TABLE outbox ADD COLUMN caller TEXT;
ALTER TABLE outbox ADD COLUMN on_behalf_of TEXT;
