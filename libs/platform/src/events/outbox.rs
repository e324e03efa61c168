//! The transactional outbox: an event row written in the same transaction as the change.

use std::sync::Arc;

use sqlx::{Any, Transaction};
use tokio::sync::Notify;
use tracing::Instrument as _;

use super::Event;
use crate::acting;
use crate::name::ServiceName;
use crate::telemetry;
use crate::time::now_micros;

/// A service's outbox; cloning shares the relay's wake-up signal.
#[derive(Clone, Debug)]
pub struct Outbox {
    service: ServiceName,
    committed: Arc<Notify>,
}

impl Outbox {
    /// The outbox of `service`.
    pub fn new(service: ServiceName) -> Self {
        Self {
            service,
            committed: Arc::new(Notify::new()),
        }
    }

    /// Writes `event` about `aggregate_id` into `tx`, with the current trace context.
    /// Returns the event id.
    pub async fn enqueue<E: Event>(
        &self,
        tx: &mut Transaction<'static, Any>,
        aggregate_id: &str,
        event: &E,
    ) -> Result<String, sqlx::Error> {
        debug_assert!(E::SUBJECT.starts_with(self.service.as_str()));
        let id = uuid::Uuid::now_v7().to_string();
        let span = enqueue_span::<E>(1);
        let traceparent = telemetry::traceparent_of(&span);
        let acting = acting::current().unwrap_or_default();
        sqlx::query(
            "INSERT INTO outbox (event_id, subject, event_type, aggregate_id, payload, traceparent, created_at, \
             caller, on_behalf_of) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(E::SUBJECT)
        .bind(E::TYPE)
        .bind(aggregate_id)
        .bind(event.encode_to_vec())
        .bind(traceparent)
        .bind(now_micros())
        .bind(Some(acting.caller).filter(|c| !c.is_empty()))
        .bind(acting.on_behalf_of)
        .execute(&mut **tx)
        .instrument(span)
        .await?;
        Ok(id)
    }

    /// Writes `events`, each about the aggregate beside it, into `tx` in one statement;
    /// returns their ids in order. For writers that commit many changes at once.
    pub async fn enqueue_many<E: Event>(
        &self,
        tx: &mut Transaction<'static, Any>,
        events: &[(&str, &E)],
    ) -> Result<Vec<String>, sqlx::Error> {
        debug_assert!(E::SUBJECT.starts_with(self.service.as_str()));
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let span = enqueue_span::<E>(events.len());
        let traceparent = telemetry::traceparent_of(&span);
        let acting = acting::current().unwrap_or_default();
        let caller = Some(acting.caller).filter(|c| !c.is_empty());
        let sql = format!(
            "INSERT INTO outbox (event_id, subject, event_type, aggregate_id, payload, traceparent, created_at, \
             caller, on_behalf_of) VALUES {}",
            crate::db::value_rows(events.len(), 9)
        );
        let now = now_micros();
        let ids: Vec<String> = events
            .iter()
            .map(|_| uuid::Uuid::now_v7().to_string())
            .collect();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, (aggregate_id, event)) in ids.iter().zip(events) {
            query = query
                .bind(id)
                .bind(E::SUBJECT)
                .bind(E::TYPE)
                .bind(*aggregate_id)
                .bind(event.encode_to_vec())
                .bind(traceparent.clone())
                .bind(now)
                .bind(caller.clone())
                .bind(acting.on_behalf_of.clone());
        }
        query.execute(&mut **tx).instrument(span).await?;
        Ok(ids)
    }

    /// Commits `tx` and wakes the relay, so the event leaves at once.
    pub async fn commit(&self, tx: Transaction<'static, Any>) -> Result<(), sqlx::Error> {
        let span = tracing::info_span!(
            "db commit",
            otel.kind = "client",
            db.operation = "COMMIT",
            service = %self.service,
        );
        tx.commit().instrument(span).await?;
        self.committed.notify_one();
        Ok(())
    }

    /// The service this outbox belongs to.
    pub fn service(&self) -> ServiceName {
        self.service
    }

    pub(super) fn committed(&self) -> &Notify {
        &self.committed
    }
}

/// The span of writing `count` events of type `E`: a span of its own, so a call's trace
/// shows its events being written.
fn enqueue_span<E: Event>(count: usize) -> tracing::Span {
    tracing::info_span!(
        "outbox enqueue",
        otel.name = %format!("{} enqueue", E::TYPE.rsplit('.').next().unwrap_or(E::TYPE)),
        otel.kind = "client",
        db.operation = "INSERT",
        messaging.destination = %E::SUBJECT,
        messaging.batch.message_count = count,
    )
}
