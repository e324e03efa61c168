//! The dashboard figures counted from the rows of the workshops inside a boundary, in the
//! shape the kept counters have (see `ops::stats`), for a caller limited to a subtree.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use crate::domain::people::Role;

/// `$1, …` for `orgs`.
fn placeholders(orgs: &[String]) -> String {
    (1..=orgs.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// (key, count) rows of `sql`, with `orgs` bound.
async fn rows(
    conn: &mut AnyConnection,
    sql: String,
    orgs: &[String],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for org in orgs {
        query = query.bind(org);
    }
    query
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("key")?, row.try_get("n")?)))
        .collect()
}

/// Counters over the workshops of `orgs`: workshops by mode, brand and status, workers,
/// income, orders, units delivered and problems.
pub async fn counters(
    conn: &mut AnyConnection,
    orgs: &[String],
) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
    let mut out = HashMap::new();
    if orgs.is_empty() {
        return Ok(out);
    }
    let inside = format!(
        "workshop_id IN (SELECT id FROM workshops WHERE department_id IN ({}))",
        placeholders(orgs)
    );
    let ours = format!("department_id IN ({})", placeholders(orgs));
    let total = |table: &str, value: &str, filter: &str| {
        format!(
            "SELECT '' AS key, CAST(COALESCE({value}, 0) AS BIGINT) AS n FROM {table} \
             WHERE {filter}"
        )
    };
    let queries = [
        ("workshops", "all", total("workshops", "COUNT(*)", &ours)),
        (
            "beneficiaries",
            "all",
            total("workers", "COUNT(*)", &inside),
        ),
        (
            "income",
            "total",
            total("income_records", "SUM(amount_fen)", &inside),
        ),
        ("orders", "all", total("orders", "COUNT(*)", &inside)),
        (
            "units",
            "delivered",
            total("orders", "SUM(delivered)", &inside),
        ),
        ("problems", "raised", total("problems", "COUNT(*)", &inside)),
        (
            "problems",
            "resolved",
            total(
                "problems",
                "COUNT(*)",
                &format!("{inside} AND status = 'RESOLVED'"),
            ),
        ),
    ];
    for (dimension, key, sql) in queries {
        let n = rows(conn, sql, orgs).await?.first().map_or(0, |r| r.1);
        out.insert((dimension.to_owned(), key.to_owned()), n);
    }
    for (dimension, column) in [
        ("mode", "mode"),
        ("brand", "brand_id"),
        ("status", "status"),
    ] {
        let sql = format!(
            "SELECT {column} AS key, COUNT(*) AS n FROM workshops WHERE {ours} GROUP BY {column}"
        );
        for (key, n) in rows(conn, sql, orgs).await? {
            out.insert((dimension.to_owned(), key), n);
        }
    }
    Ok(out)
}

/// Volunteers with a current appointment to `role` at the workshops of `orgs`.
pub async fn holders(
    conn: &mut AnyConnection,
    orgs: &[String],
    role: Role,
) -> Result<i64, sqlx::Error> {
    if orgs.is_empty() {
        return Ok(0);
    }
    let n = orgs.len();
    let sql = format!(
        "SELECT '' AS key, COUNT(DISTINCT volunteer_id) AS n FROM appointments \
         WHERE role = ${} AND active = 1 AND workshop_id IN \
         (SELECT id FROM workshops WHERE department_id IN ({}))",
        n + 1,
        placeholders(orgs)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for org in orgs {
        query = query.bind(org);
    }
    let row = query.bind(role.as_str()).fetch_one(conn).await?;
    row.try_get("n")
}
