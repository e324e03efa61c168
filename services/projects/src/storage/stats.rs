//! The maintained counters behind the library's figures.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

/// Every counter: (dimension, key) → count.
pub async fn counters(
    conn: &mut AnyConnection,
) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT dimension, key, CAST(SUM(count) AS BIGINT) AS count FROM project_count_shards \
         GROUP BY dimension, key",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                (row.try_get("dimension")?, row.try_get("key")?),
                row.try_get("count")?,
            ))
        })
        .collect()
}

/// Counters of one dimension, largest first.
pub async fn dimension(
    conn: &mut AnyConnection,
    dimension: &str,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT key, CAST(SUM(count) AS BIGINT) AS count FROM project_count_shards \
         WHERE dimension = $1 GROUP BY key HAVING SUM(count) > 0 ORDER BY count DESC, key LIMIT $2",
    )
    .bind(dimension)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("key")?, row.try_get("count")?)))
        .collect()
}

/// One counter; 0 when it was never counted.
pub async fn get(conn: &mut AnyConnection, dimension: &str, key: &str) -> Result<i64, sqlx::Error> {
    let count: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(count) AS BIGINT) FROM project_count_shards \
         WHERE dimension = $1 AND key = $2",
    )
    .bind(dimension)
    .bind(key)
    .fetch_one(conn)
    .await?;
    Ok(count.unwrap_or(0))
}
