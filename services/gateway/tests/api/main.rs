//! API tests of the gateway: a real gateway on port 0 in front of the real domain services
//! a test needs, started in one process with the platform's runner, over fresh databases
//! (SQLite, or the real PostgreSQL and JetStream where a test says so).

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod audit;
mod authenticate;
mod authorise;
mod helpers;
mod http_api;
mod limits;
mod principals;
mod reflection;
mod subtree;
