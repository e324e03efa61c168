//! The projects service's SQL, and the only place it lives. Functions take a connection
//! (a transaction derefs to one), so a change, its counters, its timeline entry and its
//! outbox event commit together.

pub mod contracts;
pub mod directory;
pub mod history;
pub mod needs;
pub mod projects;
pub mod stats;
pub mod visits;

use sqlx::AnyConnection;

/// Shards per counter: enough that concurrent writers rarely share a row.
const COUNT_SHARDS: u64 = 8;

/// Adds `delta` to the counter `dimension`/`key` (created at 0 when missing), in the next
/// of its shards.
pub async fn bump(
    conn: &mut AnyConnection,
    dimension: &str,
    key: &str,
    delta: i64,
) -> Result<(), sqlx::Error> {
    if delta == 0 {
        return Ok(());
    }
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let shard = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % COUNT_SHARDS;
    sqlx::query(
        "INSERT INTO project_count_shards (dimension, key, shard, count) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (dimension, key, shard) \
         DO UPDATE SET count = project_count_shards.count + excluded.count",
    )
    .bind(dimension)
    .bind(key)
    .bind(i64::try_from(shard).unwrap_or(0))
    .bind(delta)
    .execute(conn)
    .await?;
    Ok(())
}

/// `$first, $first+1, …` for `n` values, to build `IN (…)` lists.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored value the code does not know: the database was changed behind our back.
pub(crate) fn corrupt(table: &str, column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {column} {value:?} in {table}").into())
}
