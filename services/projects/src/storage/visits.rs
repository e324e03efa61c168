//! Visits and the per-community totals they roll up into.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::owners::Scope;
use super::projects::{Total, add_totals};
use super::{Keyed, bump};
use crate::domain::visit::Filter;
use crate::domain::{Date, DirectoryId, Line, NewVisit, RecordId, Visit};
use xingfu_platform::db::Filtered;

const COLUMNS: &str =
    "id, project_id, community_id, visit_date, kind, person_times, volunteer_ids, created_at";

/// Inserts `new` unless its request id is known, and rolls the totals up onto the project,
/// the community and the library.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewVisit,
    now: i64,
) -> Result<Keyed<Visit>, sqlx::Error> {
    let volunteers: Vec<&str> = new.volunteer_ids.iter().map(DirectoryId::as_str).collect();
    let inserted = sqlx::query(
        "INSERT INTO visits (id, request_id, request_hash, project_id, community_id, visit_date, \
         kind, person_times, volunteer_ids, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.project_id.as_str())
    .bind(new.community.as_str())
    .bind(new.date.to_string())
    .bind(new.kind.as_str())
    .bind(new.person_times)
    .bind(volunteers.join(","))
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, request_hash FROM visits WHERE request_id = $1"
        )))
        .bind(new.request_id.as_str())
        .fetch_one(conn)
        .await?;
        return Ok(Keyed::Existing(
            visit_of(&row)?,
            row.try_get("request_hash")?,
        ));
    }
    let project_id = new.project_id.as_str();
    add_totals(conn, project_id, Total::Visits, 1).await?;
    add_totals(conn, project_id, Total::PersonTimes, new.person_times).await?;
    sqlx::query(
        "INSERT INTO community_totals (community_id, visits, person_times) VALUES ($1, 1, $2) \
         ON CONFLICT (community_id) DO UPDATE SET visits = community_totals.visits + 1, \
         person_times = community_totals.person_times + excluded.person_times",
    )
    .bind(new.community.as_str())
    .bind(new.person_times)
    .execute(&mut *conn)
    .await?;
    bump(conn, "visits", "", 1).await?;
    bump(conn, "person_times", "", new.person_times).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM visits WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_one(conn)
    .await?;
    Ok(Keyed::New(visit_of(&row)?))
}

/// Visits newest first, as `filter` narrows them, after `after`; only those of projects
/// inside `scope` when given (see `owners`).
pub async fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    scope: Option<Scope<'_>>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Visit>, sqlx::Error> {
    let mut query = Filtered::new(format!("SELECT {COLUMNS} FROM visits"))
        .and(
            "project_id =",
            filter.project_id.as_ref().map(RecordId::as_str),
        )
        .and(
            "community_id =",
            filter.community_id.as_ref().map(DirectoryId::as_str),
        )
        .and("id <", after);
    if let Some(scope) = scope {
        query =
            query.and_bound(|binds| super::owners::of_visible_project("project_id", scope, binds));
    }
    query
        .fetch(conn, "id DESC", limit)
        .await?
        .iter()
        .map(visit_of)
        .collect()
}

/// A community's visits and person-times.
pub async fn community_totals(
    conn: &mut AnyConnection,
    community_id: &DirectoryId,
) -> Result<(i64, i64), sqlx::Error> {
    let row =
        sqlx::query("SELECT visits, person_times FROM community_totals WHERE community_id = $1")
            .bind(community_id.as_str())
            .fetch_optional(conn)
            .await?;
    match row {
        Some(row) => Ok((row.try_get("visits")?, row.try_get("person_times")?)),
        None => Ok((0, 0)),
    }
}

fn visit_of(row: &AnyRow) -> Result<Visit, sqlx::Error> {
    let date: String = row.try_get("visit_date")?;
    let volunteers: String = row.try_get("volunteer_ids")?;
    Ok(Visit {
        id: RecordId::from_stored(row.try_get("id")?),
        project_id: RecordId::from_stored(row.try_get("project_id")?),
        community_id: DirectoryId::from_stored(row.try_get("community_id")?),
        date: Date::parse(&date).ok_or_else(|| super::corrupt("visits", "visit_date", &date))?,
        kind: Line::from_stored(row.try_get("kind")?),
        person_times: row.try_get("person_times")?,
        volunteer_ids: volunteers
            .split(',')
            .filter(|v| !v.is_empty())
            .map(|v| DirectoryId::from_stored(v.to_owned()))
            .collect(),
        created_at: row.try_get("created_at")?,
    })
}
