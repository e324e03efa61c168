//! Each project's timeline.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::corrupt;
use crate::domain::{HistoryEntry, HistoryKind};

/// Appends an entry to `project_id`'s timeline. With a `request_id`, a retry finds the
/// entry written first (returned with `false`).
pub async fn append(
    conn: &mut AnyConnection,
    project_id: &str,
    kind: HistoryKind,
    detail: &str,
    organisation_id: Option<&str>,
    request_id: Option<&str>,
    now: i64,
) -> Result<(HistoryEntry, bool), sqlx::Error> {
    if let Some(request_id) = request_id
        && let Some(existing) = by_request(conn, request_id).await?
    {
        return Ok((existing, false));
    }
    let seq: i64 = sqlx::query_scalar(
        "UPDATE projects SET history_seq = history_seq + 1 WHERE id = $1 RETURNING history_seq",
    )
    .bind(project_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO project_history (project_id, seq, kind, detail, organisation_id, request_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(project_id)
    .bind(seq)
    .bind(kind.as_str())
    .bind(detail)
    .bind(organisation_id)
    .bind(request_id)
    .bind(now)
    .execute(conn)
    .await?;
    let entry = HistoryEntry {
        sequence: seq,
        kind,
        detail: detail.to_owned(),
        organisation_id: organisation_id.map(str::to_owned),
        at: now,
    };
    Ok((entry, true))
}

async fn by_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<HistoryEntry>, sqlx::Error> {
    sqlx::query("SELECT seq, kind, detail, organisation_id, created_at, project_id FROM project_history WHERE request_id = $1")
        .bind(request_id)
        .fetch_optional(conn)
        .await?
        .map(|row| entry_of(&row))
        .transpose()
}

/// The project a request id was used for, with its entry.
pub async fn request_project(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT project_id FROM project_history WHERE request_id = $1")
        .bind(request_id)
        .fetch_optional(conn)
        .await
}

/// Entries of `project_id` after `after_seq`, oldest first, at most `limit`; with `kinds`,
/// only those kinds.
pub async fn list(
    conn: &mut AnyConnection,
    project_id: &str,
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
        .bind(project_id)
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
        organisation_id: row.try_get("organisation_id")?,
        at: row.try_get("created_at")?,
    })
}
