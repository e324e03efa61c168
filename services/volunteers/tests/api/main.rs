//! API tests of the volunteers service on a fresh database on the real PostgreSQL.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod activities;
mod activity_changes;
mod boundaries;
mod directory;
mod evaluations;
mod helpers;
mod lifecycle;
mod national_export;
mod register;
mod service;
mod teams;
mod townships;
mod wishes;
