//! Two-place evaluation ratings.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use xingfu_platform::checked::RecordId;

use super::{Keyed, corrupt, keyed};
use crate::domain::evaluations::{Comment, Evaluation, NewEvaluation, Side};

const EVALUATION: &str = "volunteer_id, period, side, score, comment, evaluator, created_at";

/// What recording a rating came to.
#[derive(Debug)]
pub enum Recorded {
    /// By the request id: a new rating, or the one recorded before under that key.
    Keyed(Keyed<Evaluation>),
    /// The side rated the volunteer for the period before, under another key.
    SideRated,
}

/// Stores `new` unless its key or its side and period are taken.
pub async fn insert(
    conn: &mut AnyConnection,
    new: &NewEvaluation,
    now: i64,
) -> Result<Recorded, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO evaluations (volunteer_id, period, side, request_id, request_hash, score, \
         comment, evaluator, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT DO NOTHING",
    )
    .bind(new.volunteer_id.as_str())
    .bind(&new.period)
    .bind(new.side.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.score)
    .bind(new.comment.as_str())
    .bind(&new.evaluator)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let by_key = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EVALUATION}, request_hash FROM evaluations WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_optional(conn)
    .await?;
    match by_key {
        Some(row) => Ok(Recorded::Keyed(keyed(
            inserted,
            &row,
            evaluation_of(&row)?,
        )?)),
        None => Ok(Recorded::SideRated),
    }
}

/// A volunteer's ratings, newest period first, of the periods before `before` (all when
/// `None`), covering at most `periods` periods.
pub async fn of_volunteer(
    conn: &mut AnyConnection,
    volunteer_id: &RecordId,
    before: Option<&str>,
    periods: i64,
) -> Result<Vec<Evaluation>, sqlx::Error> {
    // Two sides per period at most: twice the periods covers them.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EVALUATION} FROM evaluations WHERE volunteer_id = $1 AND period < $2 \
         ORDER BY period DESC, side LIMIT $3"
    )))
    .bind(volunteer_id.as_str())
    // Periods are `YYYY-Qn`, so "3" sorts after all of them.
    .bind(before.unwrap_or("3"))
    .bind(periods.saturating_mul(2))
    .fetch_all(conn)
    .await?
    .iter()
    .map(evaluation_of)
    .collect()
}

/// The ratings of one volunteer and period.
pub async fn of_period(
    conn: &mut AnyConnection,
    volunteer_id: &RecordId,
    period: &str,
) -> Result<Vec<Evaluation>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EVALUATION} FROM evaluations WHERE volunteer_id = $1 AND period = $2"
    )))
    .bind(volunteer_id.as_str())
    .bind(period)
    .fetch_all(conn)
    .await?
    .iter()
    .map(evaluation_of)
    .collect()
}

fn evaluation_of(row: &AnyRow) -> Result<Evaluation, sqlx::Error> {
    let side: String = row.try_get("side")?;
    Ok(Evaluation {
        volunteer_id: RecordId::from_stored(row.try_get("volunteer_id")?),
        period: row.try_get("period")?,
        side: Side::parse(&side).ok_or_else(|| corrupt("evaluations", "side", &side))?,
        score: row.try_get("score")?,
        comment: Comment::from_stored(row.try_get("comment")?),
        evaluator: row.try_get("evaluator")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Clears the comments on the volunteer's evaluations (free text about a person, erased
/// with their personal data); the scores stay, and so the results.
pub async fn clear_comments(
    conn: &mut AnyConnection,
    volunteer_id: &RecordId,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE evaluations SET comment = '' WHERE volunteer_id = $1")
        .bind(volunteer_id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}
