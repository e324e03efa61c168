//! Events: every state change is written to the service's outbox in the transaction that
//! makes it, a relay publishes the outbox in commit order, and consumers apply each event
//! once (an inbox row in the handler's transaction), acknowledging after commit.
//!
//! The bus is NATS JetStream when `nats.url` is set, else an in-process bus with the same
//! at-least-once delivery and de-duplication.

mod consumer;
mod envelope;
mod jetstream;
mod memory;
mod outbox;
mod relay;

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{Any, Transaction};

pub use consumer::{apply, apply_batch};
pub use envelope::{Envelope, headers};
pub use jetstream::{
    DEAD_LETTER_CONSUMER, DEAD_LETTER_DELIVERIES, DEAD_LETTER_REASON, DEAD_LETTER_SUBJECT,
    JetStreamBus, ReplayFrom, Replayed,
};
pub use memory::MemoryBus;
pub use outbox::Outbox;
pub use relay::Relay;

use crate::db::Database;
use crate::error::Error;
use crate::name::ServiceName;
use crate::settings::Settings;

/// A fact a service publishes: a protobuf message with its subject and type, listed in
/// the catalogue of `xingfu_proto::events`.
pub use xingfu_proto::EventMessage as Event;

/// Applies one event inside the consumer's transaction; the inbox row is already written.
pub trait Handler: Send + Sync + 'static {
    /// Applies `event`. An error rolls the transaction back and the event is redelivered.
    fn handle<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Empties what this handler builds, before a replay rebuilds it from the stream.
    fn reset<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// A durable subscription of one service to some of another service's events.
#[derive(Clone)]
pub struct Subscription {
    /// Durable consumer name, unique per consuming service and purpose (`funds-projects`).
    pub consumer: String,
    /// The producing service, whose stream is read.
    pub source: ServiceName,
    /// Subjects below the prefix (`projects.project_created.v1`).
    pub subjects: Vec<&'static str>,
    /// The consuming service's database (inbox and read models).
    pub db: Database,
    /// What to do with each event.
    pub handler: Arc<dyn Handler>,
}

/// Where events travel.
#[derive(Clone, Debug)]
pub enum EventBus {
    /// NATS JetStream, one stream per producing service.
    JetStream(Box<JetStreamBus>),
    /// In this process only (the embedded default).
    Memory(MemoryBus),
}

impl EventBus {
    /// JetStream when `nats.url` is set, else the in-process bus.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        Ok(match &settings.nats.url {
            Some(url) => EventBus::JetStream(Box::new(
                JetStreamBus::connect(url.expose(), &settings.nats).await?,
            )),
            None => EventBus::Memory(MemoryBus::new(settings.nats.max_deliver)),
        })
    }

    /// The full subject of `suffix` (`xingfu.projects.project_created.v1`).
    pub fn subject(&self, suffix: &str) -> String {
        format!("{}.{suffix}", self.prefix())
    }

    fn prefix(&self) -> &str {
        match self {
            EventBus::JetStream(bus) => bus.prefix(),
            EventBus::Memory(bus) => bus.prefix(),
        }
    }

    /// Makes sure `service`'s stream exists with the configured limits (idempotent).
    pub async fn ensure_stream(&self, service: ServiceName) -> anyhow::Result<()> {
        match self {
            EventBus::JetStream(bus) => bus.ensure_stream(service).await,
            EventBus::Memory(_) => Ok(()),
        }
    }

    /// Publishes `batch` in order and returns how many, from the start, were acknowledged.
    pub async fn publish(&self, batch: &[Envelope]) -> usize {
        match self {
            EventBus::JetStream(bus) => bus.publish(batch).await,
            EventBus::Memory(bus) => bus.publish(batch).await,
        }
    }

    /// Starts consuming `subscription` until `shutdown`; the in-process bus registers it
    /// before returning, so nothing published afterwards is missed.
    pub fn spawn_consumer(
        &self,
        subscription: Subscription,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        match self {
            EventBus::JetStream(bus) => bus.spawn_consumer(subscription, shutdown),
            EventBus::Memory(bus) => bus.spawn_consumer(subscription, shutdown),
        }
    }
}

/// The delay after the `delivered`-th failed attempt (a redelivery, a retried write):
/// 100 ms doubling to 10 s.
pub fn backoff(delivered: i64) -> std::time::Duration {
    let exp = u32::try_from(delivered.clamp(1, 8) - 1).unwrap_or(0);
    std::time::Duration::from_millis(100 * 2u64.pow(exp)).min(std::time::Duration::from_secs(10))
}
