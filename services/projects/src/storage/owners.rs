//! The boundary rule of `crate::access` in SQL: what a caller limited to a subtree of
//! organisations, to a township, or to both may list and count. Each clause binds its
//! values into the query's numbered placeholders, after those already bound.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use crate::domain::DirectoryId;

/// What a limited caller sees: records owned inside `organisations` (its subtree) and
/// located in `communities` (its township's); each absent when that boundary is. With both
/// set a record must lie inside both.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The organisations of the caller's subtree.
    pub organisations: Option<&'a [String]>,
    /// The communities of the caller's township.
    pub communities: Option<&'a [String]>,
}

/// `{column} IN ($k, $k+1, …)` for `values`, pushed onto `binds`; an empty set (a township
/// the directory does not know) matches nothing.
fn is_in(column: &str, values: &[String], binds: &mut Vec<String>) -> String {
    if values.is_empty() {
        return "1 = 0".to_owned();
    }
    let first = binds.len() + 1;
    binds.extend(values.iter().cloned());
    format!("{column} IN ({})", super::placeholders(first, values.len()))
}

/// The conjunction of `clauses` (true when there are none).
fn all_of(clauses: &[String]) -> String {
    if clauses.is_empty() {
        return "1 = 1".to_owned();
    }
    format!("({})", clauses.join(" AND "))
}

/// Whether project row `p` has an owner inside `orgs`.
fn project_owned(p: &str, orgs: &[String], binds: &mut Vec<String>) -> String {
    let lead = is_in(&format!("{p}.lead_organisation"), orgs, binds);
    let pending = is_in(&format!("{p}.pending_dispatch"), orgs, binds);
    let co = is_in("o.organisation_id", orgs, binds);
    format!(
        "({lead} OR {pending} OR EXISTS (SELECT 1 FROM project_co_organisers o \
         WHERE o.project_id = {p}.id AND {co}))"
    )
}

/// Whether the project `project_id` names serves one of `communities` (false for NULL).
fn project_located(project_id: &str, communities: &[String], binds: &mut Vec<String>) -> String {
    let here = is_in("pl.community_id", communities, binds);
    format!(
        "EXISTS (SELECT 1 FROM project_communities pl WHERE pl.project_id = {project_id} \
         AND {here})"
    )
}

/// Whether project row `p` is held by `scope`: owned inside its organisations and located
/// in its township, as each is set.
fn project_held(p: &str, scope: Scope<'_>, binds: &mut Vec<String>) -> String {
    let mut held = Vec::new();
    if let Some(orgs) = scope.organisations {
        held.push(project_owned(p, orgs, binds));
    }
    if let Some(communities) = scope.communities {
        held.push(project_located(&format!("{p}.id"), communities, binds));
    }
    all_of(&held)
}

/// Whether project row `p` lies inside `scope`: held by it, or open in the library (an
/// unclaimed PUBLISHED project, wherever it is located).
pub fn project_visible(p: &str, scope: Scope<'_>, binds: &mut Vec<String>) -> String {
    let held = project_held(p, scope, binds);
    format!("({held} OR ({p}.status = 'PUBLISHED' AND {p}.lead_organisation IS NULL))")
}

/// Whether `column` names a project inside `scope`.
pub fn of_visible_project(column: &str, scope: Scope<'_>, binds: &mut Vec<String>) -> String {
    let visible = project_visible("vp", scope, binds);
    format!("{column} IN (SELECT vp.id FROM projects vp WHERE {visible})")
}

/// Whether need row `n` lies inside `scope`: its project's, once it has one; before, the
/// programme office's (outside every organisation boundary) located at its own community.
pub fn need_visible(n: &str, scope: Scope<'_>, binds: &mut Vec<String>) -> String {
    let of_project = of_visible_project(&format!("{n}.project_id"), scope, binds);
    match (scope.organisations, scope.communities) {
        (None, Some(communities)) => {
            let here = is_in(&format!("{n}.community_id"), communities, binds);
            format!("({of_project} OR ({n}.project_id IS NULL AND {here}))")
        }
        _ => of_project,
    }
}

/// Whether contract row `c` lies inside `scope`: owned by its project's owners or its
/// providing organisation, and located where its project is (a contract without a project
/// is located nowhere).
pub fn contract_visible(c: &str, scope: Scope<'_>, binds: &mut Vec<String>) -> String {
    let mut held = Vec::new();
    if let Some(orgs) = scope.organisations {
        // The project's owners only: the open library shows a project, not its contracts.
        let owned = project_owned("cp", orgs, binds);
        let provider = is_in(&format!("{c}.provider_id"), orgs, binds);
        held.push(format!(
            "({c}.project_id IN (SELECT cp.id FROM projects cp WHERE {owned}) \
             OR ({c}.provider_kind = 'ORGANISATION' AND {provider}))"
        ));
    }
    if let Some(communities) = scope.communities {
        held.push(project_located(
            &format!("{c}.project_id"),
            communities,
            binds,
        ));
    }
    all_of(&held)
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

/// The library's figures as `stats::counters` keeps them, counted over the projects,
/// needs and visits inside `scope`.
pub async fn counters(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
    let mut out = HashMap::new();
    for (dimension, column) in [
        ("total", None),
        ("category", Some("p.category")),
        ("status", Some("p.status")),
    ] {
        let mut binds = Vec::new();
        let visible = project_visible("p", scope, &mut binds);
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
    let visible = need_visible("nd", scope, &mut binds);
    let sql = format!(
        "SELECT nd.channel AS key, COUNT(*) AS n FROM needs nd WHERE {visible} \
         GROUP BY nd.channel"
    );
    for (key, n) in counts(conn, sql, binds).await? {
        out.insert(("need_channel".to_owned(), key), n);
    }
    let (visits, person_times) = visit_totals(conn, scope, None).await?;
    out.insert(("visits".to_owned(), String::new()), visits);
    out.insert(("person_times".to_owned(), String::new()), person_times);
    Ok(out)
}

/// Projects inside `scope` by community served, largest first, at most `limit`.
pub async fn by_community(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let mut binds = Vec::new();
    let of_visible = of_visible_project("c.project_id", scope, &mut binds);
    let sql = format!(
        "SELECT c.community_id AS key, COUNT(*) AS n FROM project_communities c \
         WHERE {of_visible} GROUP BY c.community_id ORDER BY n DESC, key LIMIT {limit}"
    );
    counts(conn, sql, binds).await
}

/// Projects inside `scope` serving `community`.
pub async fn community_projects(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    community: &DirectoryId,
) -> Result<i64, sqlx::Error> {
    let mut binds = vec![community.as_str().to_owned()];
    let of_visible = of_visible_project("c.project_id", scope, &mut binds);
    let sql = format!(
        "SELECT '' AS key, COUNT(*) AS n FROM project_communities c \
         WHERE c.community_id = $1 AND {of_visible}"
    );
    Ok(counts(conn, sql, binds).await?.first().map_or(0, |c| c.1))
}

/// Visits and person-times of the projects inside `scope`, in `community` if given.
pub async fn visit_totals(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    community: Option<&DirectoryId>,
) -> Result<(i64, i64), sqlx::Error> {
    let mut binds = Vec::new();
    let mut sql = String::from(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(person_times), 0) AS BIGINT) AS people \
         FROM visits v WHERE ",
    );
    if let Some(community) = community {
        binds.push(community.as_str().to_owned());
        sql.push_str("v.community_id = $1 AND ");
    }
    sql.push_str(&of_visible_project("v.project_id", scope, &mut binds));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in binds {
        query = query.bind(value);
    }
    let row = query.fetch_one(conn).await?;
    Ok((row.try_get("n")?, row.try_get("people")?))
}

/// Contracts inside `scope` in force with `community` on `today`.
pub async fn active_contracts(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    community: &DirectoryId,
    today: &str,
) -> Result<i64, sqlx::Error> {
    let mut binds = vec![community.as_str().to_owned(), today.to_owned()];
    let visible = contract_visible("k", scope, &mut binds);
    let sql = format!(
        "SELECT '' AS key, COUNT(*) AS n FROM contracts k WHERE k.community_id = $1 \
         AND k.status = 'ACTIVE' AND k.end_date >= $2 AND {visible}"
    );
    Ok(counts(conn, sql, binds).await?.first().map_or(0, |c| c.1))
}
