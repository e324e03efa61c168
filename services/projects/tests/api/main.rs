//! API tests of the projects service: a real server on port 0 over a fresh database on
//! the real PostgreSQL.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod create;
mod helpers;
mod read;
