//! API tests of the workshops service on a fresh database on the real PostgreSQL.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod catalogue;
mod helpers;
mod order_changes;
mod orders;
mod people;
mod principals;
mod problems;
mod workers;
