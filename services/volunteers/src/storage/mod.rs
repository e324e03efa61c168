//! The volunteers service's SQL, and the only place it lives.

pub mod activities;
pub mod directory;
pub mod register;

/// A stored value the code does not know: the database was changed behind our back.
pub(crate) fn corrupt(table: &str, column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {column} {value:?} in {table}").into())
}
