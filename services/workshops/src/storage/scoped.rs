//! The dashboard figures counted from the rows of the workshops inside a boundary, in the
//! shape the kept counters have (see `ops::stats`), for a limited caller.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};
use xingfu_platform::db::Filtered;

use crate::access::Scope;
use crate::domain::people::Role;
use crate::domain::problems::ProblemStatus;

/// The one number `query` (an aggregate named `n`) comes to.
async fn number(conn: &mut AnyConnection, query: Filtered) -> Result<i64, sqlx::Error> {
    let rows = query.fetch(conn, "n", 1).await?;
    rows.first().map_or(Ok(0), |row| row.try_get("n"))
}

/// Counters over the workshops inside `scope`: workshops by mode, brand and status,
/// workers, income, orders, units delivered and problems.
pub async fn counters(
    conn: &mut AnyConnection,
    scope: &Scope,
) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
    let mut out = HashMap::new();
    let workshops = scope
        .narrow_workshops(Filtered::new(
            "SELECT id, mode, brand_id, status FROM workshops",
        ))
        .fetch(&mut *conn, "id", i64::MAX)
        .await?;
    let total = i64::try_from(workshops.len()).unwrap_or(i64::MAX);
    out.insert(("workshops".to_owned(), "all".to_owned()), total);
    for row in &workshops {
        for (dimension, column) in [
            ("mode", "mode"),
            ("brand", "brand_id"),
            ("status", "status"),
        ] {
            let key: String = row.try_get(column)?;
            *out.entry((dimension.to_owned(), key)).or_insert(0) += 1;
        }
    }
    let sum = |table: &str, value: &str| {
        Filtered::new(format!(
            "SELECT CAST(COALESCE({value}, 0) AS BIGINT) AS n FROM {table}"
        ))
    };
    let queries = [
        (
            "beneficiaries",
            "all",
            "workers",
            sum("workers", "COUNT(*)"),
        ),
        (
            "income",
            "total",
            "income_records",
            sum("income_records", "SUM(amount_fen)"),
        ),
        ("orders", "all", "orders", sum("orders", "COUNT(*)")),
        (
            "units",
            "delivered",
            "orders",
            sum("orders", "SUM(delivered)"),
        ),
        (
            "problems",
            "raised",
            "problems",
            sum("problems", "COUNT(*)"),
        ),
        (
            "problems",
            "resolved",
            "problems",
            sum("problems", "COUNT(*)").and("status =", Some(ProblemStatus::Resolved.as_str())),
        ),
    ];
    for (dimension, key, table, query) in queries {
        let n = number(conn, scope.narrow(query, table)).await?;
        out.insert((dimension.to_owned(), key.to_owned()), n);
    }
    Ok(out)
}

/// Volunteers with a current appointment to `role` at the workshops inside `scope`.
pub async fn holders(
    conn: &mut AnyConnection,
    scope: &Scope,
    role: Role,
) -> Result<i64, sqlx::Error> {
    let query = Filtered::new("SELECT COUNT(DISTINCT volunteer_id) AS n FROM appointments")
        .and("role =", Some(role.as_str()))
        .and_if(true, "active = 1")
        // An appointment at no workshop lies inside no boundary.
        .and_if(true, "workshop_id IS NOT NULL");
    number(conn, scope.narrow(query, "appointments")).await
}
