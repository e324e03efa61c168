//! Residents' needs.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::owners::Scope;
use super::{Keyed, bump, corrupt};
use crate::domain::need::Filter;
use crate::domain::{
    Category, Channel, DirectoryId, Need, NeedStatus, NewNeed, Reason, RecordId, Text,
};
use xingfu_platform::db::Filtered;

const COLUMNS: &str = "id, channel, community_id, description, suggested_category, contact_masked, \
    status, project_id, duplicate_of, decline_reason, created_at, reviewed_at";

/// Inserts `new` (its contact already sealed) unless `key` is known; `fingerprint` is the
/// keyed digest of what was asked.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewNeed,
    key: &str,
    fingerprint: &str,
    contact_sealed: Option<String>,
    now: i64,
) -> Result<Keyed<Need>, sqlx::Error> {
    let masked = new.contact.as_ref().map(|c| c.masked()).unwrap_or_default();
    let inserted = sqlx::query(
        "INSERT INTO needs (id, request_key, request_hash, channel, community_id, description, \
         suggested_category, contact_sealed, contact_masked, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (request_key) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(key)
    .bind(fingerprint)
    .bind(new.channel.as_str())
    .bind(new.community.as_str())
    .bind(new.description.as_str())
    .bind(new.suggested_category.map(Category::as_str))
    .bind(contact_sealed)
    .bind(masked)
    .bind(NeedStatus::Submitted.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        bump(conn, "need_channel", new.channel.as_str(), 1).await?;
        let need = get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?;
        return Ok(Keyed::New(need));
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, request_hash FROM needs WHERE request_key = $1"
    )))
    .bind(key)
    .fetch_one(conn)
    .await?;
    Ok(Keyed::Existing(
        need_of(&row)?,
        row.try_get("request_hash")?,
    ))
}

/// The need `id`.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Need>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM needs WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| need_of(&row))
    .transpose()
}

/// Needs of a project, oldest first.
pub async fn of_project(
    conn: &mut AnyConnection,
    project_id: &RecordId,
) -> Result<Vec<Need>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM needs WHERE project_id = $1 ORDER BY id"
    )))
    .bind(project_id.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(need_of)
    .collect()
}

/// Records a decision on a SUBMITTED need; false when it was decided meanwhile.
pub async fn decide(conn: &mut AnyConnection, need: &Need) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE needs SET status = $1, project_id = $2, duplicate_of = $3, decline_reason = $4, \
         reviewed_at = $5 WHERE id = $6 AND status = $7",
    )
    .bind(need.status.as_str())
    .bind(need.project_id.as_ref().map(RecordId::as_str))
    .bind(need.duplicate_of.as_ref().map(RecordId::as_str))
    .bind(need.decline_reason.as_ref().map(Reason::as_str))
    .bind(need.reviewed_at)
    .bind(need.id.as_str())
    .bind(NeedStatus::Submitted.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Needs newest first after `after`, at most `limit`; only those inside `scope` when
/// given (see `owners::need_visible`).
pub async fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    scope: Option<Scope<'_>>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Need>, sqlx::Error> {
    let mut query = Filtered::new(format!("SELECT {COLUMNS} FROM needs"))
        .and("status =", filter.status.map(NeedStatus::as_str))
        .and("channel =", filter.channel.map(Channel::as_str))
        .and(
            "community_id =",
            filter.community_id.as_ref().map(DirectoryId::as_str),
        )
        .and(
            "suggested_category =",
            filter.category.map(Category::as_str),
        )
        .and("id <", after);
    if let Some(scope) = scope {
        query = query.and_bound(|binds| super::owners::need_visible("needs", scope, binds));
    }
    query
        .fetch(conn, "id DESC", limit)
        .await?
        .iter()
        .map(need_of)
        .collect()
}

fn need_of(row: &AnyRow) -> Result<Need, sqlx::Error> {
    let channel: String = row.try_get("channel")?;
    let status: String = row.try_get("status")?;
    let category: Option<String> = row.try_get("suggested_category")?;
    let record_id = |column: &str| -> Result<Option<RecordId>, sqlx::Error> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .map(RecordId::from_stored))
    };
    Ok(Need {
        id: RecordId::from_stored(row.try_get("id")?),
        channel: Channel::parse(&channel).ok_or_else(|| corrupt("needs", "channel", &channel))?,
        community_id: DirectoryId::from_stored(row.try_get("community_id")?),
        description: Text::from_stored(row.try_get("description")?),
        suggested_category: match category {
            Some(c) => Some(
                Category::parse(&c).ok_or_else(|| corrupt("needs", "suggested_category", &c))?,
            ),
            None => None,
        },
        contact_masked: row.try_get("contact_masked")?,
        status: NeedStatus::parse(&status).ok_or_else(|| corrupt("needs", "status", &status))?,
        project_id: record_id("project_id")?,
        duplicate_of: record_id("duplicate_of")?,
        decline_reason: row
            .try_get::<Option<String>, _>("decline_reason")?
            .map(Reason::from_stored),
        created_at: row.try_get("created_at")?,
        reviewed_at: row.try_get("reviewed_at")?,
    })
}
