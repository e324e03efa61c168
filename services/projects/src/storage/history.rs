//! Each project's timeline.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::corrupt;
use crate::domain::{DirectoryId, HistoryEntry, HistoryKind, RecordId, RequestId};

/// Appends an entry to `project_id`'s timeline.
pub async fn append(
    conn: &mut AnyConnection,
    project_id: &RecordId,
    kind: HistoryKind,
    detail: &str,
    organisation_id: Option<&DirectoryId>,
    now: i64,
) -> Result<HistoryEntry, sqlx::Error> {
    let seq = next_seq(conn, project_id).await?;
    sqlx::query(
        "INSERT INTO project_history (project_id, seq, kind, detail, organisation_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(project_id.as_str())
    .bind(seq)
    .bind(kind.as_str())
    .bind(detail)
    .bind(organisation_id.map(DirectoryId::as_str))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(HistoryEntry {
        sequence: seq,
        kind,
        detail: detail.to_owned(),
        organisation_id: organisation_id.cloned(),
        at: now,
    })
}

/// What appending with an idempotency key came to.
#[derive(Debug)]
pub enum Appended {
    /// A new entry.
    New(HistoryEntry),
    /// The key was used before: its entry, its project and what was asked with it.
    Existing(HistoryEntry, RecordId, String),
}

/// Appends an entry unless `request_id` is known; `hash` is what was asked with it.
#[allow(clippy::too_many_arguments)]
pub async fn append_requested(
    conn: &mut AnyConnection,
    project_id: &RecordId,
    kind: HistoryKind,
    detail: &str,
    request_id: &RequestId,
    hash: &str,
    now: i64,
) -> Result<Appended, sqlx::Error> {
    let seq = next_seq(conn, project_id).await?;
    let inserted = sqlx::query(
        "INSERT INTO project_history (project_id, seq, kind, detail, request_id, request_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(project_id.as_str())
    .bind(seq)
    .bind(kind.as_str())
    .bind(detail)
    .bind(request_id.as_str())
    .bind(hash)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Appended::New(HistoryEntry {
            sequence: seq,
            kind,
            detail: detail.to_owned(),
            organisation_id: None,
            at: now,
        }));
    }
    let row = sqlx::query(
        "SELECT seq, kind, detail, organisation_id, created_at, project_id, request_hash \
         FROM project_history WHERE request_id = $1",
    )
    .bind(request_id.as_str())
    .fetch_one(conn)
    .await?;
    let hash: Option<String> = row.try_get("request_hash")?;
    Ok(Appended::Existing(
        entry_of(&row)?,
        RecordId::from_stored(row.try_get("project_id")?),
        hash.unwrap_or_default(),
    ))
}

/// Takes the next timeline position; the UPDATE also locks the project row, so whatever
/// the caller checked about the project holds until it commits.
async fn next_seq(conn: &mut AnyConnection, project_id: &RecordId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE projects SET history_seq = history_seq + 1 WHERE id = $1 RETURNING history_seq",
    )
    .bind(project_id.as_str())
    .fetch_one(conn)
    .await
}

/// Entries of `project_id` after `after_seq`, oldest first, at most `limit`; with `kinds`,
/// only those kinds.
pub async fn list(
    conn: &mut AnyConnection,
    project_id: &RecordId,
    after_seq: i64,
    limit: i64,
    kinds: &[HistoryKind],
) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT seq, kind, detail, organisation_id, created_at FROM project_history \
         WHERE project_id = $1 AND seq > $2",
    );
    if !kinds.is_empty() {
        sql.push_str(&format!(
            " AND kind IN ({})",
            super::placeholders(4, kinds.len())
        ));
    }
    sql.push_str(" ORDER BY seq LIMIT $3");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(project_id.as_str())
        .bind(after_seq)
        .bind(limit);
    for kind in kinds {
        query = query.bind(kind.as_str());
    }
    query.fetch_all(conn).await?.iter().map(entry_of).collect()
}

fn entry_of(row: &AnyRow) -> Result<HistoryEntry, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(HistoryEntry {
        sequence: row.try_get("seq")?,
        kind: HistoryKind::parse(&kind).ok_or_else(|| corrupt("project_history", "kind", &kind))?,
        detail: row.try_get("detail")?,
        organisation_id: row
            .try_get::<Option<String>, _>("organisation_id")?
            .map(DirectoryId::from_stored),
        at: row.try_get("created_at")?,
    })
}
