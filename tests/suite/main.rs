//! End-to-end tests of the whole suite in one process: on PostgreSQL + JetStream, on the
//! embedded default (SQLite + in-process bus), and of the `xingfu` binary itself.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod binary;
mod boundaries;
mod consumer;
mod contract;
mod dashboard;
mod demo;
mod embedded;
mod event_stream;
mod funds_flow;
mod fuzz;
mod gateway;
mod helpers;
mod internal_tls;
mod jetstream;
mod nats_cluster;
mod otlp;
mod outbox;
mod pii;
mod pooler;
mod projects_flow;
mod python_clients;
mod reliability;
mod scale_out;
mod volunteers_flow;
mod workshops_flow;
