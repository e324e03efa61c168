//! Workshops and their support.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::{DirectoryId, Line, RecordId, Text};
use xingfu_platform::date::Date;
use xingfu_platform::db::Filtered;

use super::{Keyed, corrupt, keyed, named};
use crate::access::Scope;
use crate::domain::Mode;
use crate::domain::workshops::{
    ListFilters, NewSupport, NewWorkshop, Support, SupportKind, Workshop, WorkshopStatus,
};

const WORKSHOP: &str = "id, name, community_id, host_firm, department_id, mode, brand_id, \
                        status, workers, version, created_at";

/// Inserts `new` under `id`, PLANNED, unless its request id is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewWorkshop,
    now: i64,
) -> Result<Keyed<Workshop>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO workshops (id, request_id, request_hash, name, community_id, host_firm, \
         department_id, mode, brand_id, status, workers, version, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'PLANNED', 0, 1, $10) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.name.as_str())
    .bind(new.community_id.as_str())
    .bind(new.host_firm.as_str())
    .bind(new.department_id.as_str())
    .bind(new.mode.as_str())
    .bind(new.brand_id.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WORKSHOP}, request_hash FROM workshops WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(&mut *conn)
    .await?;
    let mut workshop = workshop_of(&row)?;
    workshop.support = support_of(conn, &workshop.id).await?;
    keyed(inserted, &row, workshop)
}

/// The workshop `id`, with its support.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Workshop>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WORKSHOP} FROM workshops WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut workshop = workshop_of(&row)?;
    workshop.support = support_of(conn, id).await?;
    Ok(Some(workshop))
}

/// Workshops in id order after `after`, by mode, brand, community and status, each with
/// its support; only those inside `scope`.
pub async fn list(
    conn: &mut AnyConnection,
    filters: &ListFilters,
    scope: &Scope,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Workshop>, sqlx::Error> {
    let query = Filtered::new(format!("SELECT {WORKSHOP} FROM workshops"))
        .and("mode =", filters.mode.map(Mode::as_str))
        .and(
            "brand_id =",
            filters.brand_id.as_ref().map(DirectoryId::as_str),
        )
        .and(
            "community_id =",
            filters.community_id.as_ref().map(DirectoryId::as_str),
        )
        .and("status =", filters.status.map(WorkshopStatus::as_str));
    let mut workshops: Vec<Workshop> = scope
        .narrow_workshops(query)
        .and("id >", after)
        .fetch(&mut *conn, "id", limit)
        .await?
        .iter()
        .map(workshop_of)
        .collect::<Result<_, _>>()?;
    for workshop in &mut workshops {
        workshop.support = support_of(conn, &workshop.id).await?;
    }
    Ok(workshops)
}

/// Moves the workshop from `from` to `to`; false when it was not at `from` any more.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: &RecordId,
    from: WorkshopStatus,
    to: WorkshopStatus,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE workshops SET status = $1, version = version + 1 WHERE id = $2 AND status = $3",
    )
    .bind(to.as_str())
    .bind(id.as_str())
    .bind(from.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Sets the name and host firm at `version`; false when the workshop is at another.
pub async fn set_details(
    conn: &mut AnyConnection,
    id: &RecordId,
    version: i64,
    name: &Line<200>,
    host_firm: &Line<200>,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE workshops SET name = $1, host_firm = $2, version = version + 1 \
         WHERE id = $3 AND version = $4",
    )
    .bind(name.as_str())
    .bind(host_firm.as_str())
    .bind(id.as_str())
    .bind(version)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Counts an enrolled worker.
pub async fn count_worker(conn: &mut AnyConnection, id: &RecordId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE workshops SET workers = workers + 1 WHERE id = $1")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores support unless its request id is known; what the key was used for otherwise.
pub async fn insert_support(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewSupport,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO support (id, request_id, request_hash, workshop_id, kind, description, \
         value_fen, given_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.workshop_id.as_str())
    .bind(new.support.kind.as_str())
    .bind(new.support.description.as_str())
    .bind(new.support.value_fen)
    .bind(new.support.given_on.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT request_hash FROM support WHERE request_id = $1")
        .bind(new.request_id.as_str())
        .fetch_one(conn)
        .await
        .map(Some)
}

async fn support_of(
    conn: &mut AnyConnection,
    workshop_id: &RecordId,
) -> Result<Vec<Support>, sqlx::Error> {
    sqlx::query(
        "SELECT kind, description, value_fen, given_on FROM support WHERE workshop_id = $1 \
         ORDER BY id",
    )
    .bind(workshop_id.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        let given_on: String = row.try_get("given_on")?;
        Ok(Support {
            kind: named(row, "support", "kind", SupportKind::parse)?,
            description: Text::from_stored(row.try_get("description")?),
            value_fen: row.try_get("value_fen")?,
            given_on: Date::parse(&given_on)
                .ok_or_else(|| corrupt("support", "given_on", &given_on))?,
        })
    })
    .collect()
}

fn workshop_of(row: &AnyRow) -> Result<Workshop, sqlx::Error> {
    Ok(Workshop {
        id: RecordId::from_stored(row.try_get("id")?),
        name: Line::from_stored(row.try_get("name")?),
        community_id: DirectoryId::from_stored(row.try_get("community_id")?),
        host_firm: Line::from_stored(row.try_get("host_firm")?),
        department_id: DirectoryId::from_stored(row.try_get("department_id")?),
        mode: named(row, "workshops", "mode", Mode::parse)?,
        brand_id: DirectoryId::from_stored(row.try_get("brand_id")?),
        status: named(row, "workshops", "status", WorkshopStatus::parse)?,
        support: Vec::new(),
        workers: row.try_get("workers")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
    })
}
