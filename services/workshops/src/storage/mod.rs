//! The workshops service's SQL, and the only place it lives. Functions take a connection
//! (a transaction derefs to one), so a change, its counters and its outbox event commit
//! together.

pub mod boundary;
pub mod catalogue;
pub mod orders;
pub mod people;
pub mod problems;
pub mod scoped;
pub mod workers;
pub mod workshops;

use sqlx::Row;
use sqlx::any::AnyRow;
use xingfu_platform::counters::Counters;
pub use xingfu_platform::db::Keyed;

/// The dashboard figures (see `ops::stats` for their dimensions and keys).
pub const COUNTERS: Counters = Counters::new("workshop_count_shards");

pub(crate) use xingfu_platform::db::corrupt;

/// A named-enum column parsed with `parse`.
pub(crate) fn named<T>(
    row: &AnyRow,
    table: &str,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    let value: String = row.try_get(column)?;
    parse(&value).ok_or_else(|| corrupt(table, column, &value))
}

/// What a keyed insert came to: the row as read back by its request id, new when the
/// insert wrote it.
pub(crate) fn keyed<T>(inserted: u64, row: &AnyRow, value: T) -> Result<Keyed<T>, sqlx::Error> {
    if inserted == 1 {
        Ok(Keyed::New(value))
    } else {
        Ok(Keyed::Existing(value, row.try_get("request_hash")?))
    }
}
