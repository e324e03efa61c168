//! Funds and their kept balances.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use xingfu_platform::checked::{DirectoryId, Line, RecordId, RequestId};
use xingfu_platform::db::{Filtered, Keyed};

use super::corrupt;
use crate::domain::{Fund, NewFund, Purpose};

const COLUMNS: &str =
    "id, name, purpose, balance_fen, raised_fen, disbursed_fen, created_at, organisation_id";

/// Inserts a fund unless `request_id` is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    request_id: &RequestId,
    fingerprint: &str,
    new: &NewFund,
    now: i64,
) -> Result<Keyed<Fund>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO funds (id, request_id, request_hash, name, purpose, organisation_id, \
         balance_fen, raised_fen, disbursed_fen, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, $7) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(request_id.as_str())
    .bind(fingerprint)
    .bind(new.name.as_str())
    .bind(new.purpose.as_str())
    .bind(new.organisation_id.as_ref().map_or("", DirectoryId::as_str))
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
        "SELECT {COLUMNS}, request_hash FROM funds WHERE request_id = $1"
    )))
    .bind(request_id.as_str())
    .fetch_one(conn)
    .await?;
    Ok(Keyed::Existing(
        fund_of(&row)?,
        row.try_get("request_hash")?,
    ))
}

/// The fund `id`.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Fund>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM funds WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| fund_of(&row))
    .transpose()
}

/// Funds newest first after `after`, owned by one of `owners` when given.
pub async fn list(
    conn: &mut AnyConnection,
    owners: Option<&[String]>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Fund>, sqlx::Error> {
    Filtered::new(format!("SELECT {COLUMNS} FROM funds"))
        .and("id <", after)
        .and_in("organisation_id", owners)
        .fetch(conn, "id DESC", limit)
        .await?
        .iter()
        .map(fund_of)
        .collect()
}

/// Every fund, for verification and reports.
pub async fn all(conn: &mut AnyConnection) -> Result<Vec<Fund>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM funds ORDER BY id"
    )))
    .fetch_all(conn)
    .await?
    .iter()
    .map(fund_of)
    .collect()
}

/// How a posting changes a fund's kept figures.
#[derive(Debug, Clone, Copy)]
pub struct Movement {
    /// Change of the balance.
    pub balance: i64,
    /// Change of what was raised.
    pub raised: i64,
    /// Change of what was disbursed.
    pub disbursed: i64,
}

/// Applies `movement` to fund `id` unless the balance would go below zero; false then.
/// The row stays locked until the transaction ends, so concurrent payments queue here.
pub async fn apply(
    conn: &mut AnyConnection,
    id: &RecordId,
    movement: Movement,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE funds SET balance_fen = balance_fen + $1, raised_fen = raised_fen + $2, \
         disbursed_fen = disbursed_fen + $3 WHERE id = $4 AND balance_fen + $1 >= 0",
    )
    .bind(movement.balance)
    .bind(movement.raised)
    .bind(movement.disbursed)
    .bind(id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

fn fund_of(row: &AnyRow) -> Result<Fund, sqlx::Error> {
    let purpose: String = row.try_get("purpose")?;
    // '' is the programme office's own fund.
    let organisation_id: String = row.try_get("organisation_id")?;
    Ok(Fund {
        id: RecordId::from_stored(row.try_get("id")?),
        name: Line::from_stored(row.try_get("name")?),
        purpose: Purpose::parse(&purpose).ok_or_else(|| corrupt("funds", "purpose", &purpose))?,
        balance_fen: row.try_get("balance_fen")?,
        raised_fen: row.try_get("raised_fen")?,
        disbursed_fen: row.try_get("disbursed_fen")?,
        created_at: row.try_get("created_at")?,
        organisation_id: Some(organisation_id)
            .filter(|id| !id.is_empty())
            .map(DirectoryId::from_stored),
    })
}
