//! Service teams: forming them and their membership.

use xingfu_platform::Error;
use xingfu_platform::time::now_micros;
use xingfu_proto::volunteers as pb;

use super::{Volunteers, not_found, require_organisation, require_volunteer, reused_key};
use crate::domain::teams::{NewTeam, Team, TeamMember};
use crate::storage::teams as store;
use crate::storage::{COUNTERS, Keyed};

impl Volunteers {
    /// Forms a team owned by an organisation of the directory; a retry returns the first.
    pub async fn form_team(&self, new: NewTeam) -> Result<Team, Error> {
        let mut tx = self.db.begin().await?;
        require_organisation(&mut tx, &new.organisation_id).await?;
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
        let id = uuid::Uuid::now_v7().to_string();
        let inserted = match store::insert(&mut tx, &id, &new, now_micros()).await {
            // A concurrent team took the name between the check and the insert.
            Err(e) if xingfu_platform::db::is_unique_violation(&e) => return Err(taken()),
            other => other?,
        };
        match inserted {
            Keyed::New(team) => {
                let event = pb::TeamFormed {
                    team_id: team.id.clone(),
                    name: team.name.clone(),
                    organisation_id: team.organisation_id.clone(),
                    skills: team.skills.clone(),
                };
                self.outbox.enqueue(&mut tx, &team.id, &event).await?;
                COUNTERS.bump(&mut tx, "teams", "all", 1).await?;
                self.outbox.commit(tx).await?;
                Ok(team)
            }
            Keyed::Existing(team, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(team)
            }
            Keyed::Existing(..) => Err(reused_key("team request", &new.request_id, "team")),
        }
    }

    /// The team a retried request formed, if the key was used for the same request.
    async fn retried(
        &self,
        conn: &mut sqlx::AnyConnection,
        new: &NewTeam,
    ) -> Result<Option<Team>, Error> {
        let found: Option<(String, String)> =
            sqlx::query_as("SELECT id, request_hash FROM teams WHERE request_id = $1")
                .bind(&new.request_id)
                .fetch_optional(&mut *conn)
                .await?;
        match found {
            None => Ok(None),
            Some((id, hash)) if hash == new.fingerprint() => Ok(store::get(conn, &id).await?),
            Some(_) => Err(reused_key("team request", &new.request_id, "team")),
        }
    }

    /// The team `id`.
    pub async fn team(&self, id: &str) -> Result<Team, Error> {
        let mut conn = self.db.pool().acquire().await?;
        store::get(&mut conn, id)
            .await?
            .ok_or_else(|| not_found("team", id))
    }

    /// Teams by organisation, in id order after `after`.
    pub async fn teams(
        &self,
        organisation_id: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Team>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::list(&mut conn, organisation_id, after, limit).await?)
    }

    /// A team's members, in volunteer id order after `after`.
    pub async fn team_members(
        &self,
        team_id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TeamMember>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        if store::get(&mut conn, team_id).await?.is_none() {
            return Err(not_found("team", team_id));
        }
        Ok(store::members(&mut conn, team_id, after, limit).await?)
    }

    /// Adds (`member`) or removes a volunteer; a change that is made already changes
    /// nothing.
    pub async fn set_team_member(
        &self,
        team_id: &str,
        volunteer_id: &str,
        member: bool,
    ) -> Result<Team, Error> {
        let mut tx = self.db.begin().await?;
        if store::get(&mut tx, team_id).await?.is_none() {
            return Err(not_found("team", team_id));
        }
        let changed = if member {
            require_volunteer(&mut tx, volunteer_id).await?;
            store::add_member(&mut tx, team_id, volunteer_id, now_micros()).await?
        } else {
            store::remove_member(&mut tx, team_id, volunteer_id).await?
        };
        if changed {
            let event = pb::TeamMembershipChanged {
                team_id: team_id.to_owned(),
                volunteer_id: volunteer_id.to_owned(),
                member,
            };
            self.outbox.enqueue(&mut tx, team_id, &event).await?;
        }
        let team = store::get(&mut tx, team_id)
            .await?
            .ok_or_else(|| not_found("team", team_id))?;
        if changed {
            self.outbox.commit(tx).await?;
        } else {
            tx.rollback().await?;
        }
        Ok(team)
    }
}
