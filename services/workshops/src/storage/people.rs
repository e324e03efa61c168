//! Appointments and star brokers' ratings.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::{DirectoryId, Line, Note, RecordId, RequestId};
use xingfu_platform::db::Filtered;

use super::{Keyed, keyed, named};
use crate::access::Scope;
use crate::domain::people::{Appointment, ListFilters, NewAppointment, Place, Rating, Role};

const APPOINTMENT: &str =
    "id, volunteer_id, role, workshop_id, community_id, firm, stars, active, created_at, ended_at";

/// Inserts `new` under `id` unless its request id is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewAppointment,
    now: i64,
) -> Result<Keyed<Appointment>, sqlx::Error> {
    let (workshop, community, firm) = match &new.place {
        Place::Workshop(id) => (Some(id.as_str()), None, None),
        Place::Community(id) => (None, Some(id.as_str()), None),
        Place::Firm(name) => (None, None, Some(name.as_str())),
    };
    let inserted = sqlx::query(
        "INSERT INTO appointments (id, request_id, request_hash, volunteer_id, role, \
         workshop_id, community_id, firm, stars, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 1, $9) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.volunteer_id.as_str())
    .bind(new.role.as_str())
    .bind(workshop)
    .bind(community)
    .bind(firm)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {APPOINTMENT}, request_hash FROM appointments WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(conn)
    .await?;
    keyed(inserted, &row, appointment_of(&row)?)
}

/// The appointment `id`.
pub async fn get(
    conn: &mut AnyConnection,
    id: &RecordId,
) -> Result<Option<Appointment>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {APPOINTMENT} FROM appointments WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| appointment_of(&row))
    .transpose()
}

/// Appointments in id order after `after`; only those at workshops inside `scope` (one
/// without a workshop is inside no boundary).
pub async fn list(
    conn: &mut AnyConnection,
    filters: &ListFilters,
    scope: &Scope,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Appointment>, sqlx::Error> {
    let query = Filtered::new(format!("SELECT {APPOINTMENT} FROM appointments"))
        .and("role =", filters.role.map(Role::as_str))
        .and(
            "workshop_id =",
            filters.workshop_id.as_ref().map(RecordId::as_str),
        )
        .and(
            "volunteer_id =",
            filters.volunteer_id.as_ref().map(RecordId::as_str),
        )
        .and_if(filters.active_only, "active = 1");
    scope
        .narrow(query, "appointments")
        .and("id >", after)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(appointment_of)
        .collect()
}

/// Whether the volunteer holds a current appointment to `role`.
pub async fn holds(
    conn: &mut AnyConnection,
    volunteer_id: &RecordId,
    role: Role,
) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM appointments WHERE role = $1 AND active = 1 AND volunteer_id = $2 LIMIT 1",
    )
    .bind(role.as_str())
    .bind(volunteer_id.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Distinct volunteers holding a current appointment to `role`.
pub async fn holders(conn: &mut AnyConnection, role: Role) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(DISTINCT volunteer_id) FROM appointments WHERE role = $1 AND active = 1",
    )
    .bind(role.as_str())
    .fetch_one(conn)
    .await
}

/// Ends an appointment; false when it had ended.
pub async fn end(conn: &mut AnyConnection, id: &RecordId, now: i64) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE appointments SET active = 0, ended_at = $1 WHERE id = $2 AND active = 1",
    )
    .bind(now)
    .bind(id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Stores a rating and makes it the broker's current one, unless its request id is
/// known; what the key was used for otherwise.
pub async fn rate(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    fingerprint: &str,
    appointment_id: &RecordId,
    rating: &Rating,
) -> Result<Option<String>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO broker_ratings (id, request_id, request_hash, appointment_id, stars, note, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(RecordId::generate().into_string())
    .bind(request_id.as_str())
    .bind(fingerprint)
    .bind(appointment_id.as_str())
    .bind(rating.stars)
    .bind(rating.note.as_str())
    .bind(rating.created_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return sqlx::query_scalar("SELECT request_hash FROM broker_ratings WHERE request_id = $1")
            .bind(request_id.as_str())
            .fetch_one(conn)
            .await
            .map(Some);
    }
    sqlx::query("UPDATE appointments SET stars = $1 WHERE id = $2")
        .bind(rating.stars)
        .bind(appointment_id.as_str())
        .execute(conn)
        .await?;
    Ok(None)
}

/// What the rating under `request_id` was asked with, if it exists.
pub async fn rating_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT request_hash FROM broker_ratings WHERE request_id = $1")
        .bind(request_id.as_str())
        .fetch_optional(conn)
        .await
}

/// A broker's ratings newest first, before the rating id `before`.
pub async fn ratings(
    conn: &mut AnyConnection,
    appointment_id: &RecordId,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<(RecordId, Rating)>, sqlx::Error> {
    Filtered::new("SELECT id, stars, note, created_at FROM broker_ratings")
        .and("appointment_id =", Some(appointment_id.as_str()))
        .and("id <", before)
        .fetch(conn, "id DESC", limit)
        .await?
        .iter()
        .map(|row| {
            Ok((
                RecordId::from_stored(row.try_get("id")?),
                Rating {
                    stars: row.try_get("stars")?,
                    note: Note::from_stored(row.try_get("note")?),
                    created_at: row.try_get("created_at")?,
                },
            ))
        })
        .collect()
}

fn appointment_of(row: &AnyRow) -> Result<Appointment, sqlx::Error> {
    let workshop: Option<String> = row.try_get("workshop_id")?;
    let community: Option<String> = row.try_get("community_id")?;
    let firm: Option<String> = row.try_get("firm")?;
    let place = match (workshop, community, firm) {
        (Some(id), _, _) => Place::Workshop(RecordId::from_stored(id)),
        (None, Some(id), _) => Place::Community(DirectoryId::from_stored(id)),
        (None, None, name) => Place::Firm(Line::from_stored(name.unwrap_or_default())),
    };
    let active: i64 = row.try_get("active")?;
    Ok(Appointment {
        id: RecordId::from_stored(row.try_get("id")?),
        volunteer_id: RecordId::from_stored(row.try_get("volunteer_id")?),
        role: named(row, "appointments", "role", Role::parse)?,
        place,
        stars: row.try_get("stars")?,
        active: active != 0,
        created_at: row.try_get("created_at")?,
        ended_at: row.try_get("ended_at")?,
    })
}
