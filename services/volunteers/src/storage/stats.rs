//! The dashboard figures of a boundary, counted from the records themselves: the counters
//! are programme-wide, so a limited caller gets its figures by query, in the counters'
//! shape (`(dimension, key) -> count`, see `ops::stats`).

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Condition, Inside};

/// Counts keyed as the counters are.
pub type Figures = HashMap<(String, String), i64>;

/// The figures of the records inside: those owned by its organisations (activities,
/// teams, service records, the directory's own entries; volunteers, evaluations and
/// wishes also through the communities linked with them), and located in its township's
/// communities (volunteers and evaluations at their home, activities, service records
/// and wishes at theirs; teams and organisations lie in none).
pub async fn within(conn: &mut AnyConnection, inside: &Inside) -> Result<Figures, sqlx::Error> {
    let mut figures = Figures::new();
    let mut add = |dimension: &str, key: &str, count: i64| {
        *figures
            .entry((dimension.to_owned(), key.to_owned()))
            .or_default() += count;
    };
    // Owned by an organisation, located in a community.
    let owned_at = |organisation: &str, community: &str| {
        Condition::new(1)
            .and_in(organisation, inside.organisations())
            .and_in(community, inside.located())
    };
    // A volunteer's, owned by its work side or its home side, located at home.
    let of_volunteer = |work: &str, home: &str| {
        Condition::new(1)
            .and_either_in(work, home, inside.owners())
            .and_in(home, inside.located())
    };

    let only = of_volunteer("work_organisation_id", "home_community_id");
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a, \
         CAST(COALESCE(SUM(CASE WHEN party_member <> 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS b, \
         CAST(COALESCE(SUM(CASE WHEN status <> 'ACTIVE' THEN 1 ELSE 0 END), 0) AS BIGINT) AS c \
         FROM volunteers WHERE {}",
        only.sql()
    );
    for row in fetch(conn, &sql, &only).await? {
        add("volunteers", "all", row.try_get("a")?);
        add("volunteers", "party", row.try_get("b")?);
        add("volunteers", "withdrawn", row.try_get("c")?);
    }
    let only = owned_at("organisation_id", "community_id");
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a, CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS b \
         FROM service_records WHERE {}",
        only.sql()
    );
    for row in fetch(conn, &sql, &only).await? {
        add("service", "records", row.try_get("a")?);
        add("service", "minutes", row.try_get("b")?);
    }
    let sql = format!(
        "SELECT kind, \
         CAST(COALESCE(SUM(CASE WHEN cancelled_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS a, \
         CAST(COALESCE(SUM(CASE WHEN completed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS b, \
         CAST(COALESCE(SUM(people_served), 0) AS BIGINT) AS c \
         FROM activities WHERE {} GROUP BY kind",
        only.sql()
    );
    for row in fetch(conn, &sql, &only).await? {
        let kind: String = row.try_get("kind")?;
        add("activities", &kind, row.try_get("a")?);
        add("completed", &kind, row.try_get("b")?);
        add("people_served", &kind, row.try_get("c")?);
    }
    let only = owned_at("r.organisation_id", "r.community_id");
    let sql = format!(
        "SELECT a.kind AS kind, CAST(COUNT(*) AS BIGINT) AS a FROM service_records r \
         JOIN activities a ON a.id = r.activity_id WHERE {} GROUP BY a.kind",
        only.sql()
    );
    for row in fetch(conn, &sql, &only).await? {
        let kind: String = row.try_get("kind")?;
        add("volunteer_times", &kind, row.try_get("a")?);
    }
    let only = Condition::new(1)
        .and_in("organisation_id", inside.organisations())
        .none_if(inside.placed_only());
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a FROM teams WHERE {}",
        only.sql()
    );
    for row in fetch(conn, &sql, &only).await? {
        add("teams", "all", row.try_get("a")?);
    }
    let only = of_volunteer("v.work_organisation_id", "v.home_community_id");
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a FROM evaluations e \
         JOIN volunteers v ON v.id = e.volunteer_id WHERE {}",
        only.sql()
    );
    for row in fetch(conn, &sql, &only).await? {
        add("evaluations", "all", row.try_get("a")?);
    }
    let only = Condition::new(1)
        .and_in("community_id", inside.linked())
        .and_in("community_id", inside.located());
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS a, \
         CAST(COALESCE(SUM(CASE WHEN adopted_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS b, \
         CAST(COALESCE(SUM(CASE WHEN status = 'FULFILLED' THEN 1 ELSE 0 END), 0) AS BIGINT) AS c \
         FROM wishes WHERE {}",
        only.sql()
    );
    for row in fetch(conn, &sql, &only).await? {
        add("wishes", "posted", row.try_get("a")?);
        add("wishes", "adopted", row.try_get("b")?);
        add("wishes", "fulfilled", row.try_get("c")?);
    }
    let only = Condition::new(1)
        .and_in("id", inside.organisations())
        .none_if(inside.placed_only());
    let sql = format!(
        "SELECT kind, CAST(COUNT(*) AS BIGINT) AS a FROM organisations WHERE {} GROUP BY kind",
        only.sql()
    );
    for row in fetch(conn, &sql, &only).await? {
        let kind: String = row.try_get("kind")?;
        add("organisations", &kind, row.try_get("a")?);
    }
    Ok(figures)
}

async fn fetch(
    conn: &mut AnyConnection,
    sql: &str,
    only: &Condition,
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for value in only.binds() {
        query = query.bind(value);
    }
    query.fetch_all(&mut *conn).await
}
