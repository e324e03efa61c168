//! The owner rule of `crate::access` in SQL: what a caller limited to a subtree of
//! organisations may list and count. Each clause binds its organisations into the query's
//! numbered placeholders, after those already bound.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

/// `$k, $k+1, …` for `orgs`, pushed onto `binds`.
fn list(orgs: &[String], binds: &mut Vec<String>) -> String {
    let first = binds.len() + 1;
    binds.extend(orgs.iter().cloned());
    super::placeholders(first, orgs.len())
}

/// Whether project row `p` has an owner inside `orgs`.
fn project_owned(p: &str, orgs: &[String], binds: &mut Vec<String>) -> String {
    let lead = list(orgs, binds);
    let pending = list(orgs, binds);
    let co = list(orgs, binds);
    format!(
        "({p}.lead_organisation IN ({lead}) OR {p}.pending_dispatch IN ({pending}) \
         OR EXISTS (SELECT 1 FROM project_co_organisers o WHERE o.project_id = {p}.id \
         AND o.organisation_id IN ({co})))"
    )
}

/// Whether project row `p` lies inside `orgs`: an owner inside, or open in the library.
pub fn project_visible(p: &str, orgs: &[String], binds: &mut Vec<String>) -> String {
    let owned = project_owned(p, orgs, binds);
    format!("({owned} OR ({p}.status = 'PUBLISHED' AND {p}.lead_organisation IS NULL))")
}

/// Whether `column` names a project inside `orgs`.
pub fn of_visible_project(column: &str, orgs: &[String], binds: &mut Vec<String>) -> String {
    let visible = project_visible("vp", orgs, binds);
    format!("{column} IN (SELECT vp.id FROM projects vp WHERE {visible})")
}

/// Whether contract row `c` lies inside `orgs`: its project's owners, or its providing
/// organisation.
pub fn contract_visible(c: &str, orgs: &[String], binds: &mut Vec<String>) -> String {
    // The project's owners only: the open library shows a project, not its contracts.
    let owned = project_owned("cp", orgs, binds);
    let provider = list(orgs, binds);
    format!(
        "({c}.project_id IN (SELECT cp.id FROM projects cp WHERE {owned}) \
         OR ({c}.provider_kind = 'ORGANISATION' AND {c}.provider_id IN ({provider})))"
    )
}

async fn counts(
    conn: &mut AnyConnection,
    sql: String,
    binds: Vec<String>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in binds {
        query = query.bind(value);
    }
    query
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("key")?, row.try_get("n")?)))
        .collect()
}

/// The library's figures as `stats::counters` keeps them, counted over the projects
/// inside `orgs` (and their needs and visits).
pub async fn counters(
    conn: &mut AnyConnection,
    orgs: &[String],
) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
    let mut out = HashMap::new();
    for (dimension, column) in [
        ("total", None),
        ("category", Some("p.category")),
        ("status", Some("p.status")),
    ] {
        let mut binds = Vec::new();
        let visible = project_visible("p", orgs, &mut binds);
        let sql = match column {
            Some(column) => format!(
                "SELECT {column} AS key, COUNT(*) AS n FROM projects p WHERE {visible} \
                 GROUP BY {column}"
            ),
            None => format!("SELECT '' AS key, COUNT(*) AS n FROM projects p WHERE {visible}"),
        };
        for (key, n) in counts(conn, sql, binds).await? {
            out.insert((dimension.to_owned(), key), n);
        }
    }
    let mut binds = Vec::new();
    let of_visible = of_visible_project("project_id", orgs, &mut binds);
    let sql = format!(
        "SELECT channel AS key, COUNT(*) AS n FROM needs WHERE {of_visible} GROUP BY channel"
    );
    for (key, n) in counts(conn, sql, binds).await? {
        out.insert(("need_channel".to_owned(), key), n);
    }
    let (visits, person_times) = visit_totals(conn, orgs, None).await?;
    out.insert(("visits".to_owned(), String::new()), visits);
    out.insert(("person_times".to_owned(), String::new()), person_times);
    Ok(out)
}

/// Projects inside `orgs` by community served, largest first, at most `limit`.
pub async fn by_community(
    conn: &mut AnyConnection,
    orgs: &[String],
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let mut binds = Vec::new();
    let of_visible = of_visible_project("c.project_id", orgs, &mut binds);
    let sql = format!(
        "SELECT c.community_id AS key, COUNT(*) AS n FROM project_communities c \
         WHERE {of_visible} GROUP BY c.community_id ORDER BY n DESC, key LIMIT {limit}"
    );
    counts(conn, sql, binds).await
}

/// Projects inside `orgs` serving `community`.
pub async fn community_projects(
    conn: &mut AnyConnection,
    orgs: &[String],
    community: &str,
) -> Result<i64, sqlx::Error> {
    let mut binds = vec![community.to_owned()];
    let of_visible = of_visible_project("c.project_id", orgs, &mut binds);
    let sql = format!(
        "SELECT '' AS key, COUNT(*) AS n FROM project_communities c \
         WHERE c.community_id = $1 AND {of_visible}"
    );
    Ok(counts(conn, sql, binds).await?.first().map_or(0, |c| c.1))
}

/// Visits and person-times of the projects inside `orgs`, in `community` if given.
pub async fn visit_totals(
    conn: &mut AnyConnection,
    orgs: &[String],
    community: Option<&str>,
) -> Result<(i64, i64), sqlx::Error> {
    let mut binds = Vec::new();
    let mut sql = String::from(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(person_times), 0) AS BIGINT) AS people \
         FROM visits v WHERE ",
    );
    if let Some(community) = community {
        binds.push(community.to_owned());
        sql.push_str("v.community_id = $1 AND ");
    }
    sql.push_str(&of_visible_project("v.project_id", orgs, &mut binds));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in binds {
        query = query.bind(value);
    }
    let row = query.fetch_one(conn).await?;
    Ok((row.try_get("n")?, row.try_get("people")?))
}

/// Contracts inside `orgs` in force with `community` on `today`.
pub async fn active_contracts(
    conn: &mut AnyConnection,
    orgs: &[String],
    community: &str,
    today: &str,
) -> Result<i64, sqlx::Error> {
    let mut binds = vec![community.to_owned(), today.to_owned()];
    let visible = contract_visible("k", orgs, &mut binds);
    let sql = format!(
        "SELECT '' AS key, COUNT(*) AS n FROM contracts k WHERE k.community_id = $1 \
         AND k.status = 'ACTIVE' AND k.end_date >= $2 AND {visible}"
    );
    Ok(counts(conn, sql, binds).await?.first().map_or(0, |c| c.1))
}
