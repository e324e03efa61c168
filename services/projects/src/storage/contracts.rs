//! Service contracts.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::owners::Scope;
use super::{Keyed, corrupt};
use crate::domain::contract::Filter;
use crate::domain::{
    Contract, ContractStatus, Date, DirectoryId, Line, NewContract, ProviderKind, Reason, RecordId,
};
use xingfu_platform::db::{Filtered, bind};

const COLUMNS: &str = "id, provider_kind, provider_id, community_id, services, start_date, end_date, \
    status, termination_reason, project_id, renewals, created_at, version";
const SEPARATOR: char = '\u{1f}';

/// Inserts `new` as ACTIVE unless its request id is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewContract,
    now: i64,
) -> Result<Keyed<Contract>, sqlx::Error> {
    let services: Vec<&str> = new.services.iter().map(Line::as_str).collect();
    let services = services.join(&SEPARATOR.to_string());
    let inserted = sqlx::query(
        "INSERT INTO contracts (id, request_id, request_hash, provider_kind, provider_id, community_id, \
         services, start_date, end_date, status, project_id, renewals, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $12) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.provider_kind.as_str())
    .bind(new.provider.as_str())
    .bind(new.community.as_str())
    .bind(services)
    .bind(new.start_date.to_string())
    .bind(new.end_date.to_string())
    .bind(ContractStatus::Active.as_str())
    .bind(new.project_id.as_ref().map(RecordId::as_str))
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
        "SELECT {COLUMNS}, request_hash FROM contracts WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(conn)
    .await?;
    Ok(Keyed::Existing(
        contract_of(&row)?,
        row.try_get("request_hash")?,
    ))
}

/// The contract `id`.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Contract>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contracts WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| contract_of(&row))
    .transpose()
}

/// Writes a contract's status, end date, renewals and reason if nobody changed it since
/// it was read (same version); false when someone did.
pub async fn save(
    conn: &mut AnyConnection,
    contract: &Contract,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE contracts SET status = $1, end_date = $2, renewals = $3, termination_reason = $4, \
         updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
    )
    .bind(contract.status.as_str())
    .bind(contract.end_date.to_string())
    .bind(contract.renewals)
    .bind(contract.termination_reason.as_ref().map(Reason::as_str))
    .bind(now)
    .bind(contract.id.as_str())
    .bind(contract.version)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Records an ACTIVE contract past `today` as EXPIRED; false when it was renewed,
/// terminated or expired meanwhile.
pub async fn expire(
    conn: &mut AnyConnection,
    id: &RecordId,
    today: Date,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE contracts SET status = 'EXPIRED', updated_at = $1, version = version + 1 \
         WHERE id = $2 AND status = 'ACTIVE' AND end_date < $3",
    )
    .bind(now)
    .bind(id.as_str())
    .bind(today.to_string())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// ACTIVE contracts whose last day is before `today`, at most `limit`.
pub async fn overdue(
    conn: &mut AnyConnection,
    today: Date,
    limit: i64,
) -> Result<Vec<Contract>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contracts WHERE status = $1 AND end_date < $2 ORDER BY end_date, id LIMIT $3"
    )))
    .bind(ContractStatus::Active.as_str())
    .bind(today.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(contract_of)
    .collect()
}

/// Contracts newest first, as `filter` narrows them, after `after`. Its status as of
/// `today`: ACTIVE only those not yet past their end, EXPIRED stored EXPIRED plus ACTIVE ones
/// past their end (the sweep may not have run yet). Only those inside `scope` when given
/// (see `owners`).
pub async fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    scope: Option<Scope<'_>>,
    today: Date,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Contract>, sqlx::Error> {
    let today = today.to_string();
    let mut query = Filtered::new(format!("SELECT {COLUMNS} FROM contracts"))
        .and(
            "community_id =",
            filter.community_id.as_ref().map(DirectoryId::as_str),
        )
        .and(
            "provider_id =",
            filter.provider_id.as_ref().map(DirectoryId::as_str),
        );
    query = match filter.status {
        Some(ContractStatus::Active) => query.and("status = 'ACTIVE' AND end_date >=", Some(today)),
        Some(ContractStatus::Expired) => query.and_bound(|binds| {
            let today = bind(binds, today);
            format!("(status = 'EXPIRED' OR (status = 'ACTIVE' AND end_date < {today}))")
        }),
        Some(ContractStatus::Terminated) => query.and_if(true, "status = 'TERMINATED'"),
        None => query,
    };
    query = query.and("id <", after);
    if let Some(scope) = scope {
        query = query.and_bound(|binds| super::owners::contract_visible("contracts", scope, binds));
    }
    query
        .fetch(conn, "id DESC", limit)
        .await?
        .iter()
        .map(contract_of)
        .collect()
}

/// Contracts in force with `community_id` on `today`.
pub async fn active_count(
    conn: &mut AnyConnection,
    community_id: &DirectoryId,
    today: Date,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM contracts WHERE community_id = $1 AND status = 'ACTIVE' AND end_date >= $2",
    )
    .bind(community_id.as_str())
    .bind(today.to_string())
    .fetch_one(conn)
    .await
}

fn contract_of(row: &AnyRow) -> Result<Contract, sqlx::Error> {
    let kind: String = row.try_get("provider_kind")?;
    let status: String = row.try_get("status")?;
    let services: String = row.try_get("services")?;
    let date = |column: &str| -> Result<Date, sqlx::Error> {
        let text: String = row.try_get(column)?;
        Date::parse(&text).ok_or_else(|| corrupt("contracts", column, &text))
    };
    Ok(Contract {
        id: RecordId::from_stored(row.try_get("id")?),
        provider_kind: ProviderKind::parse(&kind)
            .ok_or_else(|| corrupt("contracts", "provider_kind", &kind))?,
        provider_id: DirectoryId::from_stored(row.try_get("provider_id")?),
        community_id: DirectoryId::from_stored(row.try_get("community_id")?),
        services: services
            .split(SEPARATOR)
            .map(|service| Line::from_stored(service.to_owned()))
            .collect(),
        start_date: date("start_date")?,
        end_date: date("end_date")?,
        status: ContractStatus::parse(&status)
            .ok_or_else(|| corrupt("contracts", "status", &status))?,
        termination_reason: row
            .try_get::<Option<String>, _>("termination_reason")?
            .map(Reason::from_stored),
        project_id: row
            .try_get::<Option<String>, _>("project_id")?
            .map(RecordId::from_stored),
        renewals: row.try_get("renewals")?,
        created_at: row.try_get("created_at")?,
        version: row.try_get("version")?,
    })
}
