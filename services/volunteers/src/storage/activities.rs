//! Activities and participations.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::db::Filtered;

use super::{Inside, Keyed, corrupt, keyed};
use crate::domain::activities::{Activity, ActivityKind, NewActivity, Participation, Title};

const ACTIVITY: &str = "id, title, kind, community_id, project_id, start_at, capacity, \
     signed_up, created_at, organisation_id, people_served, completed_at";
const PARTICIPATION: &str =
    "activity_id, volunteer_id, check_in_at, check_out_at, minutes, record_id, verified_by";

/// Inserts `new` under `id` unless its request id is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewActivity,
    now: i64,
) -> Result<Keyed<Activity>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO activities (id, request_id, request_hash, title, kind, community_id, \
         project_id, start_at, capacity, signed_up, created_at, organisation_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.title.as_str())
    .bind(new.kind.as_str())
    .bind(new.community_id.as_str())
    .bind(new.project_id.as_ref().map(RecordId::as_str))
    .bind(new.start_at)
    .bind(new.capacity)
    .bind(now)
    .bind(new.organisation_id.as_ref().map(DirectoryId::as_str))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACTIVITY}, request_hash FROM activities WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(conn)
    .await?;
    keyed(inserted, &row, activity_of(&row)?)
}

/// The activity `id`.
pub async fn activity(
    conn: &mut AnyConnection,
    id: &RecordId,
) -> Result<Option<Activity>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACTIVITY} FROM activities WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| activity_of(&row))
    .transpose()
}

/// Activities in id (creation) order after `after`, filtered by community, kind,
/// whether completed, and to those `inside` keeps (owned by its organisations, located
/// in its communities).
pub async fn list(
    conn: &mut AnyConnection,
    community_id: Option<&DirectoryId>,
    kind: Option<ActivityKind>,
    completed: Option<bool>,
    inside: &Inside,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Activity>, sqlx::Error> {
    Filtered::new(format!("SELECT {ACTIVITY} FROM activities"))
        .and("community_id =", community_id.map(DirectoryId::as_str))
        .and_in("organisation_id", inside.organisations())
        .and_in("community_id", inside.located())
        .and("kind =", kind.map(ActivityKind::as_str))
        .and_if(completed == Some(true), "completed_at IS NOT NULL")
        .and_if(completed == Some(false), "completed_at IS NULL")
        .and("id >", after)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(activity_of)
        .collect()
}

/// Completes the activity with the people it served; false when it was completed
/// already.
pub async fn complete(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
    people_served: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE activities SET people_served = $1, completed_at = $2 \
         WHERE id = $3 AND completed_at IS NULL",
    )
    .bind(people_served)
    .bind(now)
    .bind(activity_id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Takes one of the activity's free places; false when it is full. One statement, so
/// concurrent sign-ups cannot overbook it.
pub async fn take_place(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE activities SET signed_up = signed_up + 1 WHERE id = $1 AND signed_up < capacity",
    )
    .bind(activity_id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Signs `volunteer_id` up; false when they were signed up already.
pub async fn insert_participation(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
    volunteer_id: &RecordId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO participations (activity_id, volunteer_id, signed_up_at) VALUES ($1, $2, $3) \
         ON CONFLICT (activity_id, volunteer_id) DO NOTHING",
    )
    .bind(activity_id.as_str())
    .bind(volunteer_id.as_str())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// One volunteer's part in an activity.
pub async fn participation(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
    volunteer_id: &RecordId,
) -> Result<Option<Participation>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PARTICIPATION} FROM participations WHERE activity_id = $1 AND volunteer_id = $2"
    )))
    .bind(activity_id.as_str())
    .bind(volunteer_id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| participation_of(&row))
    .transpose()
}

/// Records arrival if none is recorded; false otherwise.
pub async fn check_in(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
    volunteer_id: &RecordId,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE participations SET check_in_at = $1 \
         WHERE activity_id = $2 AND volunteer_id = $3 AND check_in_at IS NULL",
    )
    .bind(at)
    .bind(activity_id.as_str())
    .bind(volunteer_id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Records leaving and the minutes served if arrived and not yet left; false otherwise.
pub async fn check_out(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
    volunteer_id: &RecordId,
    at: i64,
    minutes: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE participations SET check_out_at = $1, minutes = $2 WHERE activity_id = $3 \
         AND volunteer_id = $4 AND check_in_at IS NOT NULL AND check_out_at IS NULL",
    )
    .bind(at)
    .bind(minutes)
    .bind(activity_id.as_str())
    .bind(volunteer_id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// The activity's checked-out participations nobody verified yet, by volunteer.
pub async fn unverified(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
) -> Result<Vec<Participation>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PARTICIPATION} FROM participations WHERE activity_id = $1 \
         AND check_out_at IS NOT NULL AND record_id IS NULL ORDER BY volunteer_id"
    )))
    .bind(activity_id.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(participation_of)
    .collect()
}

/// Marks a participation verified under `record_id`; false when it was verified already.
pub async fn verify(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
    volunteer_id: &RecordId,
    record_id: &RecordId,
    verifier: &str,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE participations SET record_id = $1, verified_by = $2 \
         WHERE activity_id = $3 AND volunteer_id = $4 AND record_id IS NULL",
    )
    .bind(record_id.as_str())
    .bind(verifier)
    .bind(activity_id.as_str())
    .bind(volunteer_id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

fn activity_of(row: &AnyRow) -> Result<Activity, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let project_id: Option<String> = row.try_get("project_id")?;
    let organisation_id: Option<String> = row.try_get("organisation_id")?;
    Ok(Activity {
        id: RecordId::from_stored(row.try_get("id")?),
        title: Title::from_stored(row.try_get("title")?),
        kind: ActivityKind::parse(&kind).ok_or_else(|| corrupt("activities", "kind", &kind))?,
        community_id: DirectoryId::from_stored(row.try_get("community_id")?),
        project_id: project_id.map(RecordId::from_stored),
        start_at: row.try_get("start_at")?,
        capacity: row.try_get("capacity")?,
        signed_up: row.try_get("signed_up")?,
        created_at: row.try_get("created_at")?,
        organisation_id: organisation_id.map(DirectoryId::from_stored),
        people_served: row.try_get("people_served")?,
        completed_at: row.try_get("completed_at")?,
    })
}

fn participation_of(row: &AnyRow) -> Result<Participation, sqlx::Error> {
    let record_id: Option<String> = row.try_get("record_id")?;
    Ok(Participation {
        activity_id: RecordId::from_stored(row.try_get("activity_id")?),
        volunteer_id: RecordId::from_stored(row.try_get("volunteer_id")?),
        check_in_at: row.try_get("check_in_at")?,
        check_out_at: row.try_get("check_out_at")?,
        minutes: row.try_get("minutes")?,
        record_id: record_id.map(RecordId::from_stored),
        verified_by: row.try_get("verified_by")?,
    })
}
