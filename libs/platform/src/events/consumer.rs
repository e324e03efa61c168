//! Applying received events exactly once: the inbox rows and the handler's changes
//! commit together, so a redelivered event finds its inbox row and changes nothing.

use tracing::Instrument as _;

use super::{Envelope, Subscription};
use crate::telemetry;
use crate::time::now_micros;

/// Applies `event` for `subscription`; returns false when it had been applied already.
/// The caller acknowledges the message only after this returns `Ok`.
pub async fn apply(subscription: &Subscription, event: &Envelope) -> anyhow::Result<bool> {
    let span = receive_span(subscription, event);
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

/// The span of one event's processing, a child of the trace that produced it.
fn receive_span(subscription: &Subscription, event: &Envelope) -> tracing::Span {
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
    span
}

/// Applies `events` for `subscription` in one transaction, each at most once (a repeated or
/// already-applied id is skipped); returns how many were fresh. One commit for the lot is
/// what lets a consumer keep up with a busy producer. On an error nothing is applied: the
/// caller then applies the events one by one with [`apply`], so a bad event holds back
/// only itself.
pub async fn apply_batch(
    subscription: &Subscription,
    events: &[Envelope],
) -> anyhow::Result<usize> {
    let outcome = async {
        let mut tx = subscription.db.begin().await?;
        let mut fresh = inbox_insert(&mut tx, subscription, events).await?;
        let mut applied = 0;
        for event in events {
            // A redelivery can bring the same event twice in one batch: apply it once.
            if !fresh.remove(&event.id) {
                continue;
            }
            subscription
                .handler
                .handle(&mut tx, event)
                .instrument(receive_span(subscription, event))
                .await
                .map_err(|err| anyhow::anyhow!("handler failed: {err}"))?;
            applied += 1;
        }
        tx.commit().await?;
        anyhow::Ok(applied)
    }
    .await;
    if let Ok(applied) = outcome {
        let count = |label: &'static str, n: usize| {
            metrics::counter!("xingfu_events_consumed_total", "consumer" => subscription.consumer.clone(), "outcome" => label)
                .increment(n as u64);
        };
        count("applied", applied);
        count("duplicate", events.len() - applied);
    }
    outcome
}

/// Writes the inbox rows of `events` in one statement; returns the ids that were new.
async fn inbox_insert(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    subscription: &Subscription,
    events: &[Envelope],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let rows = crate::db::value_rows(events.len(), 4);
    let sql = format!(
        "INSERT INTO inbox (consumer, event_id, subject, received_at) VALUES {rows} \
         ON CONFLICT DO NOTHING RETURNING event_id"
    );
    let now = now_micros();
    let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    for event in events {
        query = query
            .bind(&subscription.consumer)
            .bind(&event.id)
            .bind(&event.subject)
            .bind(now);
    }
    Ok(query.fetch_all(&mut **tx).await?.into_iter().collect())
}
