//! Micro-wishes.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::{DirectoryId, Line, RecordId};
use xingfu_platform::db::Filtered;

use super::{Inside, Keyed, corrupt, keyed};
use crate::domain::wishes::{AgeBand, ClosingNote, NewWish, Wish, WishStatus, WishText};

const WISH: &str = "id, child_alias, age_band, community_id, wish, status, adopter_id, \
                    fulfil_note, cancel_reason, created_at, adopted_at, closed_at";

/// Inserts `new` under `id` unless its request id is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewWish,
    now: i64,
) -> Result<Keyed<Wish>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO wishes (id, request_id, request_hash, child_alias, age_band, community_id, \
         wish, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'OPEN', $8) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.child_alias.as_str())
    .bind(new.age_band.as_str())
    .bind(new.community_id.as_str())
    .bind(new.wish.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WISH}, request_hash FROM wishes WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(conn)
    .await?;
    keyed(inserted, &row, wish_of(&row)?)
}

/// The wish `id`.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Wish>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WISH} FROM wishes WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| wish_of(&row))
    .transpose()
}

/// Wishes in id (posting) order after `after`, by community and status, of those
/// `inside` keeps: of communities linked with its organisations, and of its township's.
pub async fn list(
    conn: &mut AnyConnection,
    community_id: Option<&DirectoryId>,
    status: Option<WishStatus>,
    inside: &Inside,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Wish>, sqlx::Error> {
    Filtered::new(format!("SELECT {WISH} FROM wishes"))
        .and("community_id =", community_id.map(DirectoryId::as_str))
        .and_in("community_id", inside.linked())
        .and_in("community_id", inside.located())
        .and("status =", status.map(WishStatus::as_str))
        .and("id >", after)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(wish_of)
        .collect()
}

/// Gives an open wish to `volunteer_id`. One conditional statement, so of concurrent
/// adoptions exactly one succeeds; false for the others.
pub async fn adopt(
    conn: &mut AnyConnection,
    id: &RecordId,
    volunteer_id: &RecordId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE wishes SET status = 'ADOPTED', adopter_id = $1, adopted_at = $2 \
         WHERE id = $3 AND status = 'OPEN'",
    )
    .bind(volunteer_id.as_str())
    .bind(now)
    .bind(id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Fulfils an adopted wish; false when it is not adopted (any more).
pub async fn fulfil(
    conn: &mut AnyConnection,
    id: &RecordId,
    note: &ClosingNote,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE wishes SET status = 'FULFILLED', fulfil_note = $1, closed_at = $2 \
         WHERE id = $3 AND status = 'ADOPTED'",
    )
    .bind(note.as_str())
    .bind(now)
    .bind(id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Cancels an open or adopted wish; false when it is closed already.
pub async fn cancel(
    conn: &mut AnyConnection,
    id: &RecordId,
    reason: &ClosingNote,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE wishes SET status = 'CANCELLED', cancel_reason = $1, closed_at = $2 \
         WHERE id = $3 AND status IN ('OPEN', 'ADOPTED')",
    )
    .bind(reason.as_str())
    .bind(now)
    .bind(id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

fn wish_of(row: &AnyRow) -> Result<Wish, sqlx::Error> {
    let band: String = row.try_get("age_band")?;
    let status: String = row.try_get("status")?;
    let adopter_id: Option<String> = row.try_get("adopter_id")?;
    let fulfil_note: Option<String> = row.try_get("fulfil_note")?;
    let cancel_reason: Option<String> = row.try_get("cancel_reason")?;
    Ok(Wish {
        id: RecordId::from_stored(row.try_get("id")?),
        child_alias: Line::from_stored(row.try_get("child_alias")?),
        age_band: AgeBand::parse(&band).ok_or_else(|| corrupt("wishes", "age_band", &band))?,
        community_id: DirectoryId::from_stored(row.try_get("community_id")?),
        wish: WishText::from_stored(row.try_get("wish")?),
        status: WishStatus::parse(&status).ok_or_else(|| corrupt("wishes", "status", &status))?,
        adopter_id: adopter_id.map(RecordId::from_stored),
        fulfil_note: fulfil_note.map(ClosingNote::from_stored),
        cancel_reason: cancel_reason.map(ClosingNote::from_stored),
        created_at: row.try_get("created_at")?,
        adopted_at: row.try_get("adopted_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}
