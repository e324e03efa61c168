//! Service teams: forming them and their membership.

use xingfu_platform::Error;
use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::{Volunteers, boundary, require_organisation, require_serving_volunteer};
use crate::domain::teams::{Membership, NewTeam, Team, TeamMember};
use crate::storage::teams as store;
use crate::storage::{COUNTERS, Keyed};

impl Volunteers {
    /// Forms a team owned by an organisation of the directory (inside a limited caller's
    /// boundary); a retry returns the first.
    pub async fn form_team(&self, caller: &Caller, new: NewTeam) -> Result<Team, Error> {
        let mut tx = self.db.begin().await?;
        require_organisation(&mut tx, &new.organisation_id).await?;
        let owner = boundary::lineage(&mut tx, new.organisation_id.as_str()).await?;
        // A team is located nowhere: a caller limited to a township forms none.
        boundary::require_inside(caller, &[owner], &[], "a team of this organisation")?;
        if let Some(existing) = self.retried(&mut tx, &new).await? {
            tx.rollback().await?;
            return Ok(existing);
        }
        let taken = || Error::AlreadyExists {
            resource: "team",
            id: format!("{}/{}", new.organisation_id, new.name),
            message: "the organisation has a team of this name".into(),
        };
        if store::name_taken(&mut tx, &new.organisation_id, &new.name).await? {
            return Err(taken());
        }
        let id = RecordId::generate();
        let inserted = match store::insert(&mut tx, &id, &new, now_micros()).await {
            // A concurrent team took the name between the check and the insert.
            Err(e) if xingfu_platform::db::is_unique_violation(&e) => return Err(taken()),
            other => other?,
        };
        match inserted {
            Keyed::New(team) => {
                let event = pb::TeamFormed::from(&team);
                self.outbox
                    .enqueue(&mut tx, team.id.as_str(), &event)
                    .await?;
                COUNTERS.bump(&mut tx, "teams", "all", 1).await?;
                self.outbox.commit(tx).await?;
                Ok(team)
            }
            Keyed::Existing(team, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(team)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "team request",
                new.request_id.as_str(),
                "team",
            )),
        }
    }

    /// The team a retried request formed, if the key was used for the same request.
    async fn retried(
        &self,
        conn: &mut sqlx::AnyConnection,
        new: &NewTeam,
    ) -> Result<Option<Team>, Error> {
        match store::by_request(conn, &new.request_id).await? {
            None => Ok(None),
            Some((team, hash)) if hash == new.fingerprint() => Ok(Some(team)),
            Some(_) => Err(Error::reused_key(
                "team request",
                new.request_id.as_str(),
                "team",
            )),
        }
    }

    /// The team `id`, if the caller sees it.
    pub async fn team(&self, caller: &Caller, id: &RecordId) -> Result<Team, Error> {
        let mut conn = self.db.pool().acquire().await?;
        seen(&mut conn, caller, id).await
    }

    /// Teams by organisation, in id order after `after`; only those inside the caller's
    /// boundary (none for a township: teams lie in none).
    pub async fn teams(
        &self,
        caller: &Caller,
        organisation_id: Option<&DirectoryId>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Team>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let inside = boundary::inside(&mut conn, caller).await?;
        Ok(store::list(&mut conn, organisation_id, &inside, after, limit).await?)
    }

    /// A team's members, in volunteer id order after `after`.
    pub async fn team_members(
        &self,
        caller: &Caller,
        team_id: &RecordId,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TeamMember>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        seen(&mut conn, caller, team_id).await?;
        Ok(store::members(&mut conn, team_id, after, limit).await?)
    }

    /// Adds (`member`) or removes a volunteer; a change that is made already changes
    /// nothing. Team and added volunteer inside the caller's boundary.
    pub async fn set_team_member(
        &self,
        caller: &Caller,
        team_id: &RecordId,
        volunteer_id: &RecordId,
        member: bool,
    ) -> Result<Team, Error> {
        let mut tx = self.db.begin().await?;
        seen(&mut tx, caller, team_id).await?;
        let changed = if member {
            require_serving_volunteer(&mut tx, caller, volunteer_id).await?;
            store::add_member(&mut tx, team_id, volunteer_id, now_micros()).await?
        } else {
            store::remove_member(&mut tx, team_id, volunteer_id).await?
        };
        if changed {
            let event = pb::TeamMembershipChanged::from(&Membership {
                team_id: team_id.clone(),
                volunteer_id: volunteer_id.clone(),
                member,
            });
            self.outbox
                .enqueue(&mut tx, team_id.as_str(), &event)
                .await?;
        }
        let team = store::get(&mut tx, team_id)
            .await?
            .ok_or_else(|| Error::not_found("team", team_id.as_str()))?;
        if changed {
            self.outbox.commit(tx).await?;
        } else {
            tx.rollback().await?;
        }
        Ok(team)
    }
}

/// The team `id` as the caller sees it: NOT_FOUND when missing or outside.
async fn seen(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    id: &RecordId,
) -> Result<Team, Error> {
    boundary::team(conn, caller, id)
        .await?
        .ok_or_else(|| Error::not_found("team", id.as_str()))
}
