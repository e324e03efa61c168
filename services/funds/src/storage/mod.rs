//! The funds service's SQL, and the only place it lives. Write functions take a connection
//! (a transaction derefs to one), so a posting, its balances and its event commit together.

pub mod donations;
pub mod funds;
pub mod grants;
pub mod ledger;
pub mod projects;
pub mod reports;

/// A stored value the code does not know: the database was changed behind our back.
pub(crate) fn corrupt(table: &str, column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {column} {value:?} in {table}").into())
}
