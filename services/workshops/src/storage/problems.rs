//! Problems.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::{RecordId, Text};
use xingfu_platform::db::Filtered;

use super::{Keyed, keyed, named};
use crate::access::Scope;
use crate::domain::problems::{NewProblem, Problem, ProblemCategory, ProblemStatus};

const PROBLEM: &str = "id, workshop_id, category, description, status, assignee_id, resolution, \
                       escalation_reason, created_at, resolved_at";

/// Inserts `new` under `id`, OPEN, unless its request id is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewProblem,
    now: i64,
) -> Result<Keyed<Problem>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO problems (id, request_id, request_hash, workshop_id, category, description, \
         status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', $7) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.workshop_id.as_str())
    .bind(new.category.as_str())
    .bind(new.description.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROBLEM}, request_hash FROM problems WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(conn)
    .await?;
    keyed(inserted, &row, problem_of(&row)?)
}

/// The problem `id`.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Problem>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROBLEM} FROM problems WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| problem_of(&row))
    .transpose()
}

/// Problems in id order after `after`, by workshop, status and category; only those at
/// workshops inside `scope`.
pub async fn list(
    conn: &mut AnyConnection,
    (workshop_id, status, category): (
        Option<&RecordId>,
        Option<ProblemStatus>,
        Option<ProblemCategory>,
    ),
    scope: &Scope,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Problem>, sqlx::Error> {
    let query = Filtered::new(format!("SELECT {PROBLEM} FROM problems"))
        .and("workshop_id =", workshop_id.map(RecordId::as_str))
        .and("status =", status.map(ProblemStatus::as_str))
        .and("category =", category.map(ProblemCategory::as_str));
    scope
        .narrow(query, "problems")
        .and("id >", after)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(problem_of)
        .collect()
}

/// A change to a problem.
#[derive(Debug, Clone)]
pub enum Change<'a> {
    /// To a commissioner.
    Assign(&'a RecordId),
    /// Passed up, with why.
    Escalate(&'a Text<1000>),
    /// Solved, with how, at a time.
    Resolve(&'a Text<1000>, i64),
}

/// Applies `change` if the problem is not resolved; false when it is (or was meanwhile).
pub async fn change(
    conn: &mut AnyConnection,
    id: &RecordId,
    change: Change<'_>,
) -> Result<bool, sqlx::Error> {
    let query = match change {
        Change::Assign(volunteer) => sqlx::query(
            "UPDATE problems SET status = 'ASSIGNED', assignee_id = $1 \
             WHERE id = $2 AND status <> 'RESOLVED'",
        )
        .bind(volunteer.as_str())
        .bind(id.as_str()),
        Change::Escalate(reason) => sqlx::query(
            "UPDATE problems SET status = 'ESCALATED', escalation_reason = $1 \
             WHERE id = $2 AND status <> 'RESOLVED'",
        )
        .bind(reason.as_str())
        .bind(id.as_str()),
        Change::Resolve(resolution, now) => sqlx::query(
            "UPDATE problems SET status = 'RESOLVED', resolution = $1, resolved_at = $2 \
             WHERE id = $3 AND status <> 'RESOLVED'",
        )
        .bind(resolution.as_str())
        .bind(now)
        .bind(id.as_str()),
    };
    Ok(query.execute(conn).await?.rows_affected() == 1)
}

fn problem_of(row: &AnyRow) -> Result<Problem, sqlx::Error> {
    Ok(Problem {
        id: RecordId::from_stored(row.try_get("id")?),
        workshop_id: RecordId::from_stored(row.try_get("workshop_id")?),
        category: named(row, "problems", "category", ProblemCategory::parse)?,
        description: Text::from_stored(row.try_get("description")?),
        status: named(row, "problems", "status", ProblemStatus::parse)?,
        assignee_id: row
            .try_get::<Option<String>, _>("assignee_id")?
            .map(RecordId::from_stored),
        resolution: row
            .try_get::<Option<String>, _>("resolution")?
            .map(Text::from_stored),
        escalation_reason: row
            .try_get::<Option<String>, _>("escalation_reason")?
            .map(Text::from_stored),
        created_at: row.try_get("created_at")?,
        resolved_at: row.try_get("resolved_at")?,
    })
}
