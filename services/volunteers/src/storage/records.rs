//! Verified service records, the links between organisations and the communities they
//! serve, and the Four Ones counts.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::db::{Filtered, bind};

use super::{Condition, Inside, corrupt, in_list};
use crate::domain::Name;
use crate::domain::activities::{ActivityKind, FOUR_ONES, Title};
use crate::domain::records::{FourOnesRow, HoursScope, HoursSummary, NewRecord, ServiceRecord};

/// Stores a verified record.
pub async fn insert(conn: &mut AnyConnection, r: &NewRecord<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO service_records (record_id, volunteer_id, organisation_id, community_id, \
         activity_id, served_at, minutes, verified_by, verified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.record_id.as_str())
    .bind(r.volunteer_id.as_str())
    .bind(r.organisation_id.as_str())
    .bind(r.community_id.as_str())
    .bind(r.activity_id.as_str())
    .bind(r.served_at)
    .bind(r.minutes)
    .bind(r.verified_by)
    .bind(r.verified_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Verified service of `scope` served in `[from, until)` (microseconds), of the records
/// `inside` keeps (owned by its organisations, located in its communities).
pub async fn summarise(
    conn: &mut AnyConnection,
    scope: &HoursScope,
    inside: &Inside,
    from: i64,
    until: i64,
) -> Result<HoursSummary, sqlx::Error> {
    let (column, id) = match scope {
        HoursScope::Volunteer(id) => ("volunteer_id", id.as_str()),
        HoursScope::Organisation(id) => ("organisation_id", id.as_str()),
        HoursScope::Community(id) => ("community_id", id.as_str()),
    };
    let only = Condition::new(4)
        .and_in("organisation_id", inside.organisations())
        .and_in("community_id", inside.located());
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS minutes, COUNT(*) AS records, \
         COUNT(DISTINCT volunteer_id) AS volunteers FROM service_records \
         WHERE {column} = $1 AND served_at >= $2 AND served_at < $3 AND {}",
        only.sql()
    )))
    .bind(id)
    .bind(from)
    .bind(until);
    for value in only.binds() {
        query = query.bind(value);
    }
    let row = query.fetch_one(conn).await?;
    Ok(HoursSummary {
        minutes: row.try_get("minutes")?,
        records: row.try_get("records")?,
        volunteers: row.try_get("volunteers")?,
    })
}

/// Service records with their activity's and the directory's names.
const RECORDS: &str = "SELECT r.record_id, r.volunteer_id, r.activity_id, a.title, a.kind, \
     r.community_id, COALESCE(c.name, r.community_id) AS community_name, r.organisation_id, \
     COALESCE(o.name, r.organisation_id) AS organisation_name, r.served_at, r.minutes, \
     r.verified_by FROM service_records r JOIN activities a ON a.id = r.activity_id \
     LEFT JOIN organisations o ON o.id = r.organisation_id \
     LEFT JOIN communities c ON c.id = r.community_id";

/// Whose records a page holds.
#[derive(Debug, Clone)]
pub enum RecordsOf {
    /// One volunteer's, all of them.
    Volunteer(RecordId),
    /// Those given for an organisation, served in `[from, until)` (microseconds).
    Organisation {
        /// The organisation (the volunteers' work side when verified).
        id: DirectoryId,
        /// The period's start.
        from: i64,
        /// The period's end, exclusive.
        until: i64,
    },
}

/// The records of `of` in verification order, after the record `after`; of those
/// `inside` keeps.
pub async fn page(
    conn: &mut AnyConnection,
    of: &RecordsOf,
    inside: &Inside,
    after: &str,
    limit: i64,
) -> Result<Vec<ServiceRecord>, sqlx::Error> {
    let query = match of {
        RecordsOf::Volunteer(id) => {
            Filtered::new(RECORDS).and("r.volunteer_id =", Some(id.as_str()))
        }
        // The filter binds text: the bounds are cast to the column's type.
        RecordsOf::Organisation { id, from, until } => Filtered::new(RECORDS)
            .and("r.organisation_id =", Some(id.as_str()))
            .and_bound(|binds| {
                let from = bind(binds, from.to_string());
                let until = bind(binds, until.to_string());
                format!(
                    "r.served_at >= CAST({from} AS BIGINT) AND r.served_at < CAST({until} AS BIGINT)"
                )
            }),
    };
    query
        .and("r.record_id >", Some(after))
        .and_in("r.organisation_id", inside.organisations())
        .and_in("r.community_id", inside.located())
        .fetch(conn, "r.record_id", limit)
        .await?
        .iter()
        .map(record_of)
        .collect()
}

fn record_of(row: &AnyRow) -> Result<ServiceRecord, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(ServiceRecord {
        record_id: RecordId::from_stored(row.try_get("record_id")?),
        volunteer_id: RecordId::from_stored(row.try_get("volunteer_id")?),
        activity_id: RecordId::from_stored(row.try_get("activity_id")?),
        activity_title: Title::from_stored(row.try_get("title")?),
        activity_kind: ActivityKind::parse(&kind)
            .ok_or_else(|| corrupt("activities", "kind", &kind))?,
        community_id: DirectoryId::from_stored(row.try_get("community_id")?),
        community_name: Name::from_stored(row.try_get("community_name")?),
        organisation_id: DirectoryId::from_stored(row.try_get("organisation_id")?),
        organisation_name: Name::from_stored(row.try_get("organisation_name")?),
        served_at: row.try_get("served_at")?,
        minutes: row.try_get("minutes")?,
        verified_by: row.try_get("verified_by")?,
    })
}

/// Links an organisation with a community; false when they were linked already.
pub async fn link(
    conn: &mut AnyConnection,
    organisation_id: &DirectoryId,
    community_id: &DirectoryId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO community_links (organisation_id, community_id, linked_at) \
         VALUES ($1, $2, $3) ON CONFLICT (organisation_id, community_id) DO NOTHING",
    )
    .bind(organisation_id.as_str())
    .bind(community_id.as_str())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// The organisations linked with `community_id`, in id order.
pub async fn linked_organisations(
    conn: &mut AnyConnection,
    community_id: &DirectoryId,
) -> Result<Vec<DirectoryId>, sqlx::Error> {
    let linked: Vec<String> = sqlx::query_scalar(
        "SELECT organisation_id FROM community_links WHERE community_id = $1 \
         ORDER BY organisation_id",
    )
    .bind(community_id.as_str())
    .fetch_all(conn)
    .await?;
    Ok(linked.into_iter().map(DirectoryId::from_stored).collect())
}

/// The communities linked with any of `organisations`, each once.
pub async fn linked_communities(
    conn: &mut AnyConnection,
    organisations: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!(
        "SELECT DISTINCT community_id FROM community_links WHERE {} ORDER BY community_id",
        in_list("organisation_id", 1, organisations.len())
    );
    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for id in organisations {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

/// Ends a link; false when there was none.
pub async fn unlink(
    conn: &mut AnyConnection,
    organisation_id: &DirectoryId,
    community_id: &DirectoryId,
) -> Result<bool, sqlx::Error> {
    let deleted =
        sqlx::query("DELETE FROM community_links WHERE organisation_id = $1 AND community_id = $2")
            .bind(organisation_id.as_str())
            .bind(community_id.as_str())
            .execute(conn)
            .await?
            .rows_affected();
    Ok(deleted == 1)
}

/// Links in (organisation, community) order after `after`, optionally of one
/// organisation; of those `inside` keeps (a link is located at its community).
pub async fn links(
    conn: &mut AnyConnection,
    organisation_id: Option<&DirectoryId>,
    inside: &Inside,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<(DirectoryId, DirectoryId)>, sqlx::Error> {
    let (after_org, after_community) = after.unwrap_or(("", ""));
    let only = if organisation_id.is_some() {
        "organisation_id = $4 AND "
    } else {
        ""
    };
    let first = if organisation_id.is_some() { 5 } else { 4 };
    let kept = Condition::new(first)
        .and_in("organisation_id", inside.organisations())
        .and_in("community_id", inside.located());
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT organisation_id, community_id FROM community_links WHERE {only}{} AND \
         (organisation_id > $1 OR (organisation_id = $1 AND community_id > $2)) \
         ORDER BY organisation_id, community_id LIMIT $3",
        kept.sql()
    )))
    .bind(after_org)
    .bind(after_community)
    .bind(limit);
    if let Some(id) = organisation_id {
        rows = rows.bind(id.as_str());
    }
    for value in kept.binds() {
        rows = rows.bind(value);
    }
    rows.fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                DirectoryId::from_stored(row.try_get("organisation_id")?),
                DirectoryId::from_stored(row.try_get("community_id")?),
            ))
        })
        .collect()
}

/// Completed activities of each Four Ones kind that `organisation_id` ran in
/// `community_id` starting in `[from, until)`.
pub async fn four_ones(
    conn: &mut AnyConnection,
    organisation_id: &DirectoryId,
    community_id: &DirectoryId,
    from: i64,
    until: i64,
) -> Result<FourOnesRow, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT kind, COUNT(*) AS done FROM activities WHERE organisation_id = $1 \
         AND community_id = $2 AND start_at >= $3 AND start_at < $4 \
         AND completed_at IS NOT NULL GROUP BY kind",
    )
    .bind(organisation_id.as_str())
    .bind(community_id.as_str())
    .bind(from)
    .bind(until)
    .fetch_all(conn)
    .await?;
    let mut done = [0; 4];
    for row in &rows {
        let kind: String = row.try_get("kind")?;
        if let Some(i) = FOUR_ONES.iter().position(|k| k.as_str() == kind) {
            done[i] = row.try_get("done")?;
        }
    }
    Ok(FourOnesRow {
        organisation_id: organisation_id.clone(),
        community_id: community_id.clone(),
        done,
    })
}
