//! End-to-end tests of the whole suite in one process: on PostgreSQL + JetStream, on the
//! embedded default (SQLite + in-process bus), and of the `xingfu` binary itself.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod binary;
mod boundaries;
mod consumer;
mod demo;
mod embedded;
mod event_stream;
mod funds_flow;
mod fuzz;
mod gateway;
mod helpers;
mod http_api;
mod jetstream;
mod otlp;
mod outbox;
mod pii;
mod principals;
mod projects_flow;
mod reflection;
mod reliability;
mod volunteers_flow;
mod workshops_flow;
