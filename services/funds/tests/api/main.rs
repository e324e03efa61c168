//! Tests of the funds service on a fresh database on the real PostgreSQL.

#![allow(clippy::unwrap_used)]
// test helpers fail loudly by design
// Amounts are written yuan_fen (10_000_00 is 10,000 yuan), which clippy calls inconsistent.
#![allow(clippy::inconsistent_digit_grouping)]

mod boundaries;
mod donations;
mod grants;
mod helpers;
mod ledger;
mod read_model;
