//! The volunteers service's SQL, and the only place it lives.

pub mod activities;
pub mod directory;
pub mod evaluations;
pub mod records;
pub mod register;
pub mod stats;
pub mod teams;
pub mod wishes;

use xingfu_platform::counters::Counters;
pub use xingfu_platform::db::Keyed;

/// The dashboard figures (see `ops::stats` for their dimensions and keys).
pub const COUNTERS: Counters = Counters::new("volunteer_count_shards");

/// A stored value the code does not know: the database was changed behind our back.
pub(crate) fn corrupt(table: &str, column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {column} {value:?} in {table}").into())
}

/// Skills as stored: newline-separated.
pub(crate) fn skills_of(stored: &str) -> Vec<String> {
    stored
        .split('\n')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `<column> IN ($first, …)` for `n` values bound in order from `$first`; an empty set
/// matches nothing (`IN ()` is not SQL).
pub(crate) fn in_list(column: &str, first: usize, n: usize) -> String {
    if n == 0 {
        return "1 = 0".to_owned();
    }
    let placeholders = (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{column} IN ({placeholders})")
}
