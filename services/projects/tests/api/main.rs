//! API tests of the projects service: a real server on port 0 over a fresh database on
//! the real PostgreSQL.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod claims;
mod consumed;
mod contracts;
mod create;
mod helpers;
mod lifecycle;
mod milestones;
mod needs;
mod principals;
mod read;
mod visits;
