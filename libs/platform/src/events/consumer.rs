//! Applying one received event exactly once: the inbox row and the handler's changes
//! commit together, so a redelivered event finds its inbox row and changes nothing.

use tracing::Instrument as _;

use super::{Envelope, Subscription};
use crate::telemetry;
use crate::time::now_micros;

/// Applies `event` for `subscription`; returns false when it had been applied already.
/// The caller acknowledges the message only after this returns `Ok`.
pub async fn apply(subscription: &Subscription, event: &Envelope) -> anyhow::Result<bool> {
    let span = tracing::info_span!(
        "receive",
        otel.name = format!("{} receive", event.short_type()),
        otel.kind = "consumer",
        messaging.system = "nats",
        messaging.operation.type = "process",
        messaging.destination.name = %event.subject,
        messaging.message.id = %event.id,
        messaging.consumer.group.name = %subscription.consumer,
    );
    telemetry::set_parent_from_traceparent(&span, event.traceparent.as_deref());
    let outcome = async {
        let mut tx = subscription.db.begin().await?;
        let fresh = sqlx::query(
            "INSERT INTO inbox (consumer, event_id, subject, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&subscription.consumer)
        .bind(&event.id)
        .bind(&event.subject)
        .bind(now_micros())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if fresh {
            subscription
                .handler
                .handle(&mut tx, event)
                .await
                .map_err(|err| anyhow::anyhow!("handler failed: {err}"))?;
        }
        tx.commit().await?;
        anyhow::Ok(fresh)
    }
    .instrument(span)
    .await;
    let label = match &outcome {
        Ok(true) => "applied",
        Ok(false) => "duplicate",
        Err(_) => "failed",
    };
    metrics::counter!("xingfu_events_consumed_total", "consumer" => subscription.consumer.clone(), "outcome" => label)
        .increment(1);
    outcome
}
