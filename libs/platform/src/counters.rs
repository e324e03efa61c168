//! Maintained counters behind a service's dashboard figures, split into shards: every
//! write bumps the same few counters, and one row each would make concurrent writers queue
//! behind each other's commits. A write bumps one shard; a read sums them. Each service
//! keeps its own table of the shape `(dimension, key, shard, count)`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// Shards per counter: enough that concurrent writers rarely share a row.
const SHARDS: u64 = 8;

/// A service's table of sharded counters.
#[derive(Debug, Clone, Copy)]
pub struct Counters {
    table: &'static str,
}

impl Counters {
    /// The counters kept in `table` (a name from the service's own migrations).
    pub const fn new(table: &'static str) -> Self {
        Self { table }
    }

    /// Adds `delta` to the counter `dimension`/`key` (created at 0 when missing), in the
    /// next of its shards.
    pub async fn bump(
        &self,
        conn: &mut AnyConnection,
        dimension: &str,
        key: &str,
        delta: i64,
    ) -> Result<(), sqlx::Error> {
        if delta == 0 {
            return Ok(());
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let shard = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
        let table = self.table;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} (dimension, key, shard, count) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (dimension, key, shard) DO UPDATE SET count = {table}.count + excluded.count"
        )))
        .bind(dimension)
        .bind(key)
        .bind(i64::try_from(shard).unwrap_or(0))
        .bind(delta)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Every counter: (dimension, key) → count.
    pub async fn all(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT dimension, key, CAST(SUM(count) AS BIGINT) AS count FROM {} \
             GROUP BY dimension, key",
            self.table
        )))
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

    /// The non-zero counters of one dimension, largest first, at most `limit`.
    pub async fn dimension(
        &self,
        conn: &mut AnyConnection,
        dimension: &str,
        limit: i64,
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT key, CAST(SUM(count) AS BIGINT) AS count FROM {} WHERE dimension = $1 \
             GROUP BY key HAVING SUM(count) > 0 ORDER BY count DESC, key LIMIT $2",
            self.table
        )))
        .bind(dimension)
        .bind(limit)
        .fetch_all(conn)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("key")?, row.try_get("count")?)))
            .collect()
    }

    /// One counter; 0 when it was never counted.
    pub async fn get(
        &self,
        conn: &mut AnyConnection,
        dimension: &str,
        key: &str,
    ) -> Result<i64, sqlx::Error> {
        let count: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT CAST(SUM(count) AS BIGINT) FROM {} WHERE dimension = $1 AND key = $2",
            self.table
        )))
        .bind(dimension)
        .bind(key)
        .fetch_one(conn)
        .await?;
        Ok(count.unwrap_or(0))
    }
}
