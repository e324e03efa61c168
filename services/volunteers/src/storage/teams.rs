//! Teams and their members.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::{DirectoryId, RecordId, RequestId};
use xingfu_platform::db::Filtered;

use super::{Inside, Keyed, keyed, skills_of};
use crate::domain::register::join_skills;
use crate::domain::teams::{NewTeam, Team, TeamMember, TeamName};

const TEAM: &str = "id, name, organisation_id, skills, member_count, created_at";

/// Inserts `new` under `id` unless its request id is known. A name taken in the
/// organisation is a unique violation.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewTeam,
    now: i64,
) -> Result<Keyed<Team>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO teams (id, request_id, request_hash, name, organisation_id, skills, \
         member_count, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.name.as_str())
    .bind(new.organisation_id.as_str())
    .bind(join_skills(&new.skills))
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TEAM}, request_hash FROM teams WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(conn)
    .await?;
    keyed(inserted, &row, team_of(&row)?)
}

/// The team `id`.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Team>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TEAM} FROM teams WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| team_of(&row))
    .transpose()
}

/// The team formed under `request_id`, with the fingerprint of what it was asked with.
pub async fn by_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Option<(Team, String)>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TEAM}, request_hash FROM teams WHERE request_id = $1"
    )))
    .bind(request_id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| Ok((team_of(&row)?, row.try_get("request_hash")?)))
    .transpose()
}

/// Whether the organisation has a team of that name.
pub async fn name_taken(
    conn: &mut AnyConnection,
    organisation_id: &DirectoryId,
    name: &TeamName,
) -> Result<bool, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM teams WHERE organisation_id = $1 AND name = $2")
            .bind(organisation_id.as_str())
            .bind(name.as_str())
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Teams in id order after `after`, optionally of one organisation, of those `inside`
/// keeps: owned by its organisations, and none for a township (a team lies in none).
pub async fn list(
    conn: &mut AnyConnection,
    organisation_id: Option<&DirectoryId>,
    inside: &Inside,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Team>, sqlx::Error> {
    Filtered::new(format!("SELECT {TEAM} FROM teams"))
        .and(
            "organisation_id =",
            organisation_id.map(DirectoryId::as_str),
        )
        .and_in("organisation_id", inside.organisations())
        .and_if(inside.placed_only(), "1 = 0")
        .and("id >", after)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(team_of)
        .collect()
}

/// Adds a member and counts them; false when they were a member already.
pub async fn add_member(
    conn: &mut AnyConnection,
    team_id: &RecordId,
    volunteer_id: &RecordId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO team_members (team_id, volunteer_id, joined_at) VALUES ($1, $2, $3) \
         ON CONFLICT (team_id, volunteer_id) DO NOTHING",
    )
    .bind(team_id.as_str())
    .bind(volunteer_id.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        count_member(conn, team_id, 1).await?;
    }
    Ok(inserted == 1)
}

/// Removes a member and uncounts them; false when they were not a member.
pub async fn remove_member(
    conn: &mut AnyConnection,
    team_id: &RecordId,
    volunteer_id: &RecordId,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND volunteer_id = $2")
        .bind(team_id.as_str())
        .bind(volunteer_id.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if deleted == 1 {
        count_member(conn, team_id, -1).await?;
    }
    Ok(deleted == 1)
}

async fn count_member(
    conn: &mut AnyConnection,
    team_id: &RecordId,
    delta: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE teams SET member_count = member_count + $1 WHERE id = $2")
        .bind(delta)
        .bind(team_id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// A team's members in volunteer id order after `after`.
pub async fn members(
    conn: &mut AnyConnection,
    team_id: &RecordId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<TeamMember>, sqlx::Error> {
    Filtered::new("SELECT volunteer_id, joined_at FROM team_members")
        .and("team_id =", Some(team_id.as_str()))
        .and("volunteer_id >", after)
        .fetch(conn, "volunteer_id", limit)
        .await?
        .iter()
        .map(|row| {
            Ok(TeamMember {
                volunteer_id: RecordId::from_stored(row.try_get("volunteer_id")?),
                joined_at: row.try_get("joined_at")?,
            })
        })
        .collect()
}

fn team_of(row: &AnyRow) -> Result<Team, sqlx::Error> {
    let skills: String = row.try_get("skills")?;
    Ok(Team {
        id: RecordId::from_stored(row.try_get("id")?),
        name: TeamName::from_stored(row.try_get("name")?),
        organisation_id: DirectoryId::from_stored(row.try_get("organisation_id")?),
        skills: skills_of(&skills),
        member_count: row.try_get("member_count")?,
        created_at: row.try_get("created_at")?,
    })
}
