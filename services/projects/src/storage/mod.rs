//! The projects service's SQL, and the only place it lives. Functions take a connection
//! (a transaction derefs to one), so a change, its counters, its timeline entry and its
//! outbox event commit together.

pub mod contracts;
pub mod history;
pub mod milestones;
pub mod needs;
pub mod owners;
pub mod projects;
pub mod stats;
pub mod visits;

use sqlx::AnyConnection;
use xingfu_platform::counters::Counters;
pub use xingfu_platform::db::Keyed;

/// The library's counters (total, by status, category and community).
pub const COUNTERS: Counters = Counters::new("project_count_shards");

/// Adds `delta` to the counter `dimension`/`key`.
pub async fn bump(
    conn: &mut AnyConnection,
    dimension: &str,
    key: &str,
    delta: i64,
) -> Result<(), sqlx::Error> {
    COUNTERS.bump(conn, dimension, key, delta).await
}

/// `$first, $first+1, …` for `n` values, to build `IN (…)` lists.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) use xingfu_platform::db::corrupt;
