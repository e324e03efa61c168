//! Grants and their approvals.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::{Line, RecordId, RequestId};
use xingfu_platform::db::{Filtered, Keyed};

use super::corrupt;
use crate::domain::{ActorId, Grant, GrantFilter, GrantKind, GrantStatus, Item, NewGrant};

const COLUMNS: &str = "id, fund_id, kind, beneficiary_ref, project_id, items, amount_fen, status, \
    requested_by, approvals_required, reason, created_at, disbursed_at, version";
const UNIT: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// Inserts a REQUESTED grant unless its request id is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewGrant,
    approvals_required: i32,
    now: i64,
) -> Result<Keyed<Grant>, sqlx::Error> {
    let items: Vec<String> = new
        .items
        .iter()
        .map(|i| format!("{}{UNIT}{}", i.name.as_str(), i.quantity))
        .collect();
    let inserted = sqlx::query(
        "INSERT INTO grants (id, request_id, request_hash, fund_id, kind, beneficiary_ref, project_id, items, \
         amount_fen, status, requested_by, approvals_required, created_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.fund_id.as_str())
    .bind(new.kind.as_str())
    .bind(&new.beneficiary_ref)
    .bind(new.project_id.as_ref().map(RecordId::as_str))
    .bind(items.join(&RECORD.to_string()))
    .bind(new.amount_fen)
    .bind(GrantStatus::Requested.as_str())
    .bind(new.requested_by.as_str())
    .bind(approvals_required)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Keyed::New(
            get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?,
        ));
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, request_hash FROM grants WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(&mut *conn)
    .await?;
    let mut grant = grant_of(&row)?;
    grant.approved_by = approvers(conn, &grant.id).await?;
    Ok(Keyed::Existing(grant, row.try_get("request_hash")?))
}

/// The grant requested under `request_id`, with the fingerprint it was asked with.
pub async fn by_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Option<(Grant, String)>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, request_hash FROM grants WHERE request_id = $1"
    )))
    .bind(request_id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut grant = grant_of(&row)?;
    grant.approved_by = approvers(conn, &grant.id).await?;
    Ok(Some((grant, row.try_get("request_hash")?)))
}

/// The grant `id` with its approvers.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Grant>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM grants WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut grant = grant_of(&row)?;
    grant.approved_by = approvers(conn, id).await?;
    Ok(Some(grant))
}

async fn approvers(conn: &mut AnyConnection, id: &RecordId) -> Result<Vec<ActorId>, sqlx::Error> {
    let approvers: Vec<String> = sqlx::query_scalar(
        "SELECT approver FROM grant_approvals WHERE grant_id = $1 ORDER BY approved_at, approver",
    )
    .bind(id.as_str())
    .fetch_all(conn)
    .await?;
    Ok(approvers.into_iter().map(Line::from_stored).collect())
}

/// Records `approver`'s approval; false when they had approved already.
pub async fn approve(
    conn: &mut AnyConnection,
    id: &RecordId,
    approver: &ActorId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO grant_approvals (grant_id, approver, approved_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(id.as_str())
    .bind(approver.as_str())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Writes a grant's status, reason and payment time if it is still at `grant.version`;
/// false when someone changed it meanwhile.
pub async fn save(conn: &mut AnyConnection, grant: &Grant) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE grants SET status = $1, reason = $2, disbursed_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5",
    )
    .bind(grant.status.as_str())
    .bind(grant.reason.clone())
    .bind(grant.disbursed_at)
    .bind(grant.id.as_str())
    .bind(grant.version)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Grants newest first matching `filter`, after `after`.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &GrantFilter<'_>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Grant>, sqlx::Error> {
    let rows = Filtered::new(format!("SELECT {COLUMNS} FROM grants"))
        .and("fund_id =", filter.fund_id.map(RecordId::as_str))
        .and("status =", filter.status.map(GrantStatus::as_str))
        .and("project_id =", filter.project_id.map(RecordId::as_str))
        .and("id <", after)
        .and_in(
            "(SELECT f.organisation_id FROM funds f WHERE f.id = grants.fund_id)",
            filter.owners,
        )
        .fetch(&mut *conn, "id DESC", limit)
        .await?;
    let mut grants = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut grant = grant_of(row)?;
        grant.approved_by = approvers(conn, &grant.id).await?;
        grants.push(grant);
    }
    Ok(grants)
}

/// Every paid grant: (kind, beneficiary, project, amount, paid at), for reports.
pub async fn paid(conn: &mut AnyConnection) -> Result<Vec<Grant>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM grants WHERE status = 'DISBURSED' ORDER BY id"
    )))
    .fetch_all(conn)
    .await?
    .iter()
    .map(grant_of)
    .collect()
}

fn grant_of(row: &AnyRow) -> Result<Grant, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let items: String = row.try_get("items")?;
    let project_id: Option<String> = row.try_get("project_id")?;
    Ok(Grant {
        id: RecordId::from_stored(row.try_get("id")?),
        fund_id: RecordId::from_stored(row.try_get("fund_id")?),
        kind: GrantKind::parse(&kind).ok_or_else(|| corrupt("grants", "kind", &kind))?,
        beneficiary_ref: row.try_get("beneficiary_ref")?,
        project_id: project_id.map(RecordId::from_stored),
        items: items
            .split(RECORD)
            .filter(|i| !i.is_empty())
            .filter_map(|i| {
                let (name, quantity) = i.split_once(UNIT)?;
                Some(Item {
                    name: Line::from_stored(name.to_owned()),
                    quantity: quantity.parse().ok()?,
                })
            })
            .collect(),
        amount_fen: row.try_get("amount_fen")?,
        status: GrantStatus::parse(&status).ok_or_else(|| corrupt("grants", "status", &status))?,
        requested_by: Line::from_stored(row.try_get("requested_by")?),
        approved_by: Vec::new(),
        approvals_required: row.try_get("approvals_required")?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
        disbursed_at: row.try_get("disbursed_at")?,
        version: row.try_get("version")?,
    })
}
