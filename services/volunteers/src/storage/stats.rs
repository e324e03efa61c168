//! The dashboard figures of a boundary, counted from the records themselves: the counters
//! are programme-wide, so a caller limited to a subtree gets its figures by query, in the
//! counters' shape (`(dimension, key) -> count`, see `ops::stats`).

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::in_list;

/// Counts keyed as the counters are.
pub type Figures = HashMap<(String, String), i64>;

/// The figures of the records owned by `organisations` (activities, teams, service
/// records, the directory's own entries) and, for volunteers, evaluations and wishes,
/// those of the `communities` linked with them.
pub async fn within(
    conn: &mut AnyConnection,
    organisations: &[String],
    communities: &[String],
) -> Result<Figures, sqlx::Error> {
    let (n, m) = (organisations.len(), communities.len());
    let orgs = |column: &str| in_list(column, 1, n);
    let owned = |work: &str, home: &str| {
        format!("({} OR {})", in_list(work, 1, n), in_list(home, n + 1, m))
    };
    let mut figures = Figures::new();
    let mut add = |dimension: &str, key: &str, count: i64| {
        *figures
            .entry((dimension.to_owned(), key.to_owned()))
            .or_default() += count;
    };
    let both: Vec<&String> = organisations.iter().chain(communities).collect();
    let inside: Vec<&String> = organisations.iter().collect();
    let linked: Vec<&String> = communities.iter().collect();

    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a, \
         CAST(COALESCE(SUM(CASE WHEN party_member <> 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS b \
         FROM volunteers WHERE {}",
        owned("work_organisation_id", "home_community_id")
    );
    for row in fetch(conn, &sql, &both).await? {
        add("volunteers", "all", row.try_get("a")?);
        add("volunteers", "party", row.try_get("b")?);
    }
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a, CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS b \
         FROM service_records WHERE {}",
        orgs("organisation_id")
    );
    for row in fetch(conn, &sql, &inside).await? {
        add("service", "records", row.try_get("a")?);
        add("service", "minutes", row.try_get("b")?);
    }
    let sql = format!(
        "SELECT kind, CAST(COUNT(*) AS BIGINT) AS a, \
         CAST(COALESCE(SUM(CASE WHEN completed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS b, \
         CAST(COALESCE(SUM(people_served), 0) AS BIGINT) AS c \
         FROM activities WHERE {} GROUP BY kind",
        orgs("organisation_id")
    );
    for row in fetch(conn, &sql, &inside).await? {
        let kind: String = row.try_get("kind")?;
        add("activities", &kind, row.try_get("a")?);
        add("completed", &kind, row.try_get("b")?);
        add("people_served", &kind, row.try_get("c")?);
    }
    let sql = format!(
        "SELECT a.kind AS kind, CAST(COUNT(*) AS BIGINT) AS a FROM service_records r \
         JOIN activities a ON a.id = r.activity_id WHERE {} GROUP BY a.kind",
        orgs("r.organisation_id")
    );
    for row in fetch(conn, &sql, &inside).await? {
        let kind: String = row.try_get("kind")?;
        add("volunteer_times", &kind, row.try_get("a")?);
    }
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a FROM teams WHERE {}",
        orgs("organisation_id")
    );
    for row in fetch(conn, &sql, &inside).await? {
        add("teams", "all", row.try_get("a")?);
    }
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a FROM evaluations e \
         JOIN volunteers v ON v.id = e.volunteer_id WHERE {}",
        owned("v.work_organisation_id", "v.home_community_id")
    );
    for row in fetch(conn, &sql, &both).await? {
        add("evaluations", "all", row.try_get("a")?);
    }
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a, \
         CAST(COALESCE(SUM(CASE WHEN adopted_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS b, \
         CAST(COALESCE(SUM(CASE WHEN status = 'FULFILLED' THEN 1 ELSE 0 END), 0) AS BIGINT) AS c \
         FROM wishes WHERE {}",
        in_list("community_id", 1, m)
    );
    for row in fetch(conn, &sql, &linked).await? {
        add("wishes", "posted", row.try_get("a")?);
        add("wishes", "adopted", row.try_get("b")?);
        add("wishes", "fulfilled", row.try_get("c")?);
    }
    let sql = format!(
        "SELECT kind, CAST(COUNT(*) AS BIGINT) AS a FROM organisations WHERE {} GROUP BY kind",
        orgs("id")
    );
    for row in fetch(conn, &sql, &inside).await? {
        let kind: String = row.try_get("kind")?;
        add("organisations", &kind, row.try_get("a")?);
    }
    Ok(figures)
}

async fn fetch(
    conn: &mut AnyConnection,
    sql: &str,
    values: &[&String],
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for value in values {
        query = query.bind(*value);
    }
    query.fetch_all(&mut *conn).await
}
