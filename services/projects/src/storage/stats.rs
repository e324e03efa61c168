//! The maintained counters behind the library's figures.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::COUNTERS;

/// Every counter: (dimension, key) → count.
pub async fn counters(
    conn: &mut AnyConnection,
) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
    COUNTERS.all(conn).await
}

/// Counters of one dimension, largest first.
pub async fn dimension(
    conn: &mut AnyConnection,
    dimension: &str,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    COUNTERS.dimension(conn, dimension, limit).await
}

/// One counter; 0 when it was never counted.
pub async fn get(conn: &mut AnyConnection, dimension: &str, key: &str) -> Result<i64, sqlx::Error> {
    COUNTERS.get(conn, dimension, key).await
}
