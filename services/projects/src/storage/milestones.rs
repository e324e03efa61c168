//! Milestones of projects.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Keyed, corrupt};
use crate::domain::milestone::MAX_MILESTONES;
use crate::domain::{Date, Line, Milestone, NewMilestone, RecordId};

const COLUMNS: &str = "id, project_id, title, due_on, progress, reached_at, created_at";

/// Inserts `new` under `id` unless its request id is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewMilestone,
    now: i64,
) -> Result<Keyed<Milestone>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO milestones (id, request_id, request_hash, project_id, title, due_on, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.project_id.as_str())
    .bind(new.title.as_str())
    .bind(new.due_on.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, request_hash FROM milestones WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(conn)
    .await?;
    let milestone = milestone_of(&row)?;
    if inserted == 1 {
        Ok(Keyed::New(milestone))
    } else {
        Ok(Keyed::Existing(milestone, row.try_get("request_hash")?))
    }
}

/// The milestone `id`.
pub async fn get(
    conn: &mut AnyConnection,
    id: &RecordId,
) -> Result<Option<Milestone>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM milestones WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| milestone_of(&row))
    .transpose()
}

/// The project's milestones by due day, at most [`MAX_MILESTONES`].
pub async fn of_project(
    conn: &mut AnyConnection,
    project_id: &RecordId,
) -> Result<Vec<Milestone>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM milestones WHERE project_id = $1 ORDER BY due_on, id LIMIT $2"
    )))
    .bind(project_id.as_str())
    .bind(MAX_MILESTONES)
    .fetch_all(conn)
    .await?
    .iter()
    .map(milestone_of)
    .collect()
}

/// How many milestones the project has.
pub async fn count(conn: &mut AnyConnection, project_id: &RecordId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM milestones WHERE project_id = $1")
        .bind(project_id.as_str())
        .fetch_one(conn)
        .await
}

/// Moves the milestone's progress up to `progress` (reached at `now` at 100); false when
/// it stands at `progress` or beyond already, so a report never moves it back.
pub async fn progress(
    conn: &mut AnyConnection,
    id: &RecordId,
    progress: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let reached = (progress == 100).then_some(now);
    let updated = sqlx::query(
        "UPDATE milestones SET progress = $1, reached_at = $2 WHERE id = $3 AND progress < $1",
    )
    .bind(progress)
    .bind(reached)
    .bind(id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

fn milestone_of(row: &AnyRow) -> Result<Milestone, sqlx::Error> {
    let due: String = row.try_get("due_on")?;
    Ok(Milestone {
        id: RecordId::from_stored(row.try_get("id")?),
        project_id: RecordId::from_stored(row.try_get("project_id")?),
        title: Line::from_stored(row.try_get("title")?),
        due_on: Date::parse(&due).ok_or_else(|| corrupt("milestones", "due_on", &due))?,
        progress: row.try_get("progress")?,
        reached_at: row.try_get("reached_at")?,
        created_at: row.try_get("created_at")?,
    })
}
