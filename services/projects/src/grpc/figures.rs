//! The library's figures for a caller: the kept counters when it sees everything, counted
//! over what its boundary holds (its subtree's organisations, its township's communities)
//! when limited.

use sqlx::AnyConnection;

use crate::domain::Date;
use crate::storage;
use crate::storage::owners::Scope;

/// The library's figures, counted over what `scope` sees (the kept counters when it sees
/// everything): counters, and projects by community, largest first.
pub(super) async fn stats(
    conn: &mut AnyConnection,
    scope: Option<Scope<'_>>,
) -> Result<
    (
        std::collections::HashMap<(String, String), i64>,
        Vec<(String, i64)>,
    ),
    sqlx::Error,
> {
    const COMMUNITIES: i64 = 100;
    match scope {
        None => Ok((
            storage::stats::counters(conn).await?,
            storage::stats::dimension(conn, "community", COMMUNITIES).await?,
        )),
        Some(scope) => Ok((
            storage::owners::counters(conn, scope).await?,
            storage::owners::by_community(conn, scope, COMMUNITIES).await?,
        )),
    }
}

/// A community's projects, (visits, person-times) and contracts in force, counted over
/// what `scope` sees.
pub(super) async fn community_totals(
    conn: &mut AnyConnection,
    scope: Option<Scope<'_>>,
    id: &str,
) -> Result<(i64, (i64, i64), i64), sqlx::Error> {
    let today = Date::today();
    match scope {
        None => Ok((
            storage::stats::get(conn, "community", id).await?,
            storage::visits::community_totals(conn, id).await?,
            storage::contracts::active_count(conn, id, today).await?,
        )),
        Some(scope) => Ok((
            storage::owners::community_projects(conn, scope, id).await?,
            storage::owners::visit_totals(conn, scope, Some(id)).await?,
            storage::owners::active_contracts(conn, scope, id, &today.to_string()).await?,
        )),
    }
}
