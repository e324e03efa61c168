//! The dashboard figures counted from the rows of the workshops inside a boundary, in the
//! shape the kept counters have (see `ops::stats`), for a limited caller.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use crate::access::Scope;
use crate::domain::people::Role;

/// The condition on a `workshops` row that holds it inside `scope`, and the values it
/// binds (`$1`, …); an empty set holds nothing.
fn inside(scope: &Scope) -> (String, Vec<String>) {
    let mut sql = String::from("1 = 1");
    let mut binds: Vec<String> = Vec::new();
    for (column, values) in [
        ("department_id", &scope.organisations),
        ("community_id", &scope.communities),
    ] {
        let Some(values) = values else { continue };
        if values.is_empty() {
            return ("1 = 0".to_owned(), Vec::new());
        }
        let first = binds.len() + 1;
        binds.extend(values.iter().cloned());
        let placeholders = (first..=binds.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" AND {column} IN ({placeholders})"));
    }
    (sql, binds)
}

/// (key, count) rows of `sql`, with `binds` bound.
async fn rows(
    conn: &mut AnyConnection,
    sql: String,
    binds: &[String],
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

/// Counters over the workshops inside `scope`: workshops by mode, brand and status,
/// workers, income, orders, units delivered and problems.
pub async fn counters(
    conn: &mut AnyConnection,
    scope: &Scope,
) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
    let mut out = HashMap::new();
    let (ours, binds) = inside(scope);
    let inside = format!("workshop_id IN (SELECT id FROM workshops WHERE {ours})");
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
        let n = rows(conn, sql, &binds).await?.first().map_or(0, |r| r.1);
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
        for (key, n) in rows(conn, sql, &binds).await? {
            out.insert((dimension.to_owned(), key), n);
        }
    }
    Ok(out)
}

/// Volunteers with a current appointment to `role` at the workshops inside `scope`.
pub async fn holders(
    conn: &mut AnyConnection,
    scope: &Scope,
    role: Role,
) -> Result<i64, sqlx::Error> {
    let (ours, binds) = inside(scope);
    let sql = format!(
        "SELECT '' AS key, COUNT(DISTINCT volunteer_id) AS n FROM appointments \
         WHERE role = ${} AND active = 1 AND workshop_id IN \
         (SELECT id FROM workshops WHERE {ours})",
        binds.len() + 1,
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in &binds {
        query = query.bind(value);
    }
    let row = query.bind(role.as_str()).fetch_one(conn).await?;
    row.try_get("n")
}
