//! Activities and participations.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::db::{Filtered, bind};

use super::{Inside, Keyed, corrupt, keyed};
use crate::domain::activities::{
    Activity, ActivityKind, ActivityStatus, NewActivity, Participation, Title, join_organisers,
};

const ACTIVITY: &str = "id, title, kind, community_id, project_id, start_at, capacity, \
     signed_up, created_at, organisation_id, people_served, completed_at, co_organisers, \
     version, cancelled_at, cancel_reason";
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
         project_id, start_at, capacity, signed_up, created_at, organisation_id, \
         co_organisers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12) \
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
    .bind(join_organisers(&new.co_organiser_ids))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        set_co_organisers(conn, id, &new.co_organiser_ids).await?;
    }
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

/// Activities in id (creation) order after `after`, filtered by community, kind and
/// status, and to those `inside` keeps (run by one of its organisations, lead or
/// co-organiser; located in its communities).
pub async fn list(
    conn: &mut AnyConnection,
    community_id: Option<&DirectoryId>,
    kind: Option<ActivityKind>,
    status: Option<ActivityStatus>,
    inside: &Inside,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Activity>, sqlx::Error> {
    let mut query = Filtered::new(format!("SELECT {ACTIVITY} FROM activities"))
        .and("community_id =", community_id.map(DirectoryId::as_str))
        .and_in("community_id", inside.located())
        .and("kind =", kind.map(ActivityKind::as_str))
        .and_if(
            status == Some(ActivityStatus::Open),
            "completed_at IS NULL AND cancelled_at IS NULL",
        )
        .and_if(
            status == Some(ActivityStatus::Completed),
            "completed_at IS NOT NULL",
        )
        .and_if(
            status == Some(ActivityStatus::Cancelled),
            "cancelled_at IS NOT NULL",
        )
        .and("id >", after);
    if let Some(organisations) = inside.organisations() {
        query = query.and_bound(|binds| {
            if organisations.is_empty() {
                return "1 = 0".to_owned();
            }
            let placeholders: Vec<String> = organisations
                .iter()
                .map(|o| bind(binds, o.clone()))
                .collect();
            let set = placeholders.join(", ");
            format!(
                "(organisation_id IN ({set}) OR id IN (SELECT activity_id FROM \
                 activity_co_organisers WHERE organisation_id IN ({set})))"
            )
        });
    }
    query
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(activity_of)
        .collect()
}

/// Writes `next`'s editable fields over the open activity if it is still at `version`
/// and `next.capacity` holds those signed up; false otherwise.
pub async fn save(
    conn: &mut AnyConnection,
    next: &Activity,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let saved = sqlx::query(
        "UPDATE activities SET title = $1, start_at = $2, capacity = $3, community_id = $4, \
         project_id = $5, co_organisers = $6, version = $7 WHERE id = $8 AND version = $9 \
         AND signed_up <= $3 AND completed_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(next.title.as_str())
    .bind(next.start_at)
    .bind(next.capacity)
    .bind(next.community_id.as_str())
    .bind(next.project_id.as_ref().map(RecordId::as_str))
    .bind(join_organisers(&next.co_organiser_ids))
    .bind(version + 1)
    .bind(next.id.as_str())
    .bind(version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if saved == 1 {
        set_co_organisers(conn, &next.id, &next.co_organiser_ids).await?;
    }
    Ok(saved == 1)
}

/// Replaces the activity's co-organiser rows with `ids`.
async fn set_co_organisers(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
    ids: &[DirectoryId],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM activity_co_organisers WHERE activity_id = $1")
        .bind(activity_id.as_str())
        .execute(&mut *conn)
        .await?;
    for id in ids {
        sqlx::query(
            "INSERT INTO activity_co_organisers (activity_id, organisation_id) VALUES ($1, $2)",
        )
        .bind(activity_id.as_str())
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Cancels the open activity unless someone has arrived; false otherwise.
pub async fn cancel(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE activities SET cancelled_at = $1, cancel_reason = $2, version = version + 1 \
         WHERE id = $3 AND completed_at IS NULL AND cancelled_at IS NULL AND NOT EXISTS \
         (SELECT 1 FROM participations p WHERE p.activity_id = $3 AND p.check_in_at IS NOT NULL)",
    )
    .bind(now)
    .bind(reason)
    .bind(activity_id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Ends a sign-up nobody arrived for and frees its place; false when there is none
/// (or the volunteer has arrived).
pub async fn cancel_participation(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
    volunteer_id: &RecordId,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query(
        "DELETE FROM participations WHERE activity_id = $1 AND volunteer_id = $2 \
         AND check_in_at IS NULL",
    )
    .bind(activity_id.as_str())
    .bind(volunteer_id.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if deleted == 1 {
        sqlx::query("UPDATE activities SET signed_up = signed_up - 1 WHERE id = $1")
            .bind(activity_id.as_str())
            .execute(conn)
            .await?;
    }
    Ok(deleted == 1)
}

/// The volunteers signed up for the activity, in id order.
pub async fn signed_up_volunteers(
    conn: &mut AnyConnection,
    activity_id: &RecordId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT volunteer_id FROM participations WHERE activity_id = $1 ORDER BY volunteer_id",
    )
    .bind(activity_id.as_str())
    .fetch_all(conn)
    .await
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
    let co_organisers: String = row.try_get("co_organisers")?;
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
        co_organiser_ids: co_organisers
            .split('\n')
            .filter(|id| !id.is_empty())
            .map(|id| DirectoryId::from_stored(id.to_owned()))
            .collect(),
        version: row.try_get("version")?,
        cancelled_at: row.try_get("cancelled_at")?,
        cancel_reason: row.try_get("cancel_reason")?,
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
