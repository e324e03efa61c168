//! The relay: publishes a service's pending outbox rows in insertion order and marks
//! exactly the rows the bus acknowledged as sent. Rows left pending by a crash are simply
//! sent again (consumers de-duplicate). A row whose transaction commits after a later row
//! was published is sent on the next pass, so no row is ever skipped; events of one
//! aggregate keep their commit order because writers to an aggregate lock its row before
//! writing the outbox. On PostgreSQL one replica relays at a time, chosen by an advisory
//! lock held on a connection of its own.
//!
//! A batch is read and published while the one before is still being marked, so the
//! marking's round trip and commit do not hold up a backlog; the read leaves out the rows
//! being marked by their `seq`, so nothing is sent twice, and still starts at the oldest
//! unmarked row, so order holds. A batch is published only once the one before is fully
//! acknowledged.

use std::time::Duration;

use sqlx::{AnyConnection, Connection as _, Row};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Envelope, EventBus, Outbox};
use crate::acting::Acting;
use crate::db::{Backend, Database};
use crate::telemetry;
use crate::time::now_micros;

const BATCH: i64 = 256;
const IDLE_POLL: Duration = Duration::from_millis(500);
const FINAL_PASS: Duration = Duration::from_secs(2);
const RETENTION_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;

/// The previous batch's marking, overlapping the next batch's read and publish: the rows
/// it marks and its task.
#[derive(Default)]
struct Marking(Option<(Vec<i64>, MarkTask)>);

/// A running `UPDATE … SET published_at`.
type MarkTask = JoinHandle<Result<(), sqlx::Error>>;

impl Marking {
    /// The rows being marked.
    fn seqs(&self) -> &[i64] {
        self.0.as_ref().map_or(&[], |(seqs, _)| seqs)
    }

    /// Waits for the marking in flight, if any. The task is let go only once it has
    /// ended: if this wait is cancelled (the final pass's timeout), a later `finish`
    /// still waits for it.
    async fn finish(&mut self) -> anyhow::Result<()> {
        if let Some((_, task)) = &mut self.0 {
            let ended = task.await;
            self.0 = None;
            ended??;
        }
        Ok(())
    }
}

/// Moves one service's outbox onto the bus.
pub struct Relay {
    db: Database,
    outbox: Outbox,
    bus: EventBus,
}

impl Relay {
    /// A relay for `outbox`, stored in `db`, publishing to `bus`.
    pub fn new(db: Database, outbox: Outbox, bus: EventBus) -> Self {
        Self { db, outbox, bus }
    }

    /// Relays until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let service = self.outbox.service();
        let mut leader: Option<AnyConnection> = None;
        let mut failures: i64 = 0;
        let mut last_cleanup = 0;
        let mut marking = Marking::default();
        while !shutdown.is_cancelled() {
            if self.db.backend() == Backend::Postgres && !self.hold_leadership(&mut leader).await {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                }
            }
            match self.relay_batch(&mut marking).await {
                Ok(sent) if sent > 0 => {
                    failures = 0;
                    continue;
                }
                Ok(_) => failures = 0,
                Err(err) => {
                    failures += 1;
                    tracing::warn!(%service, error = %err, "outbox relay failed; will retry");
                }
            }
            if now_micros() - last_cleanup > 3_600_000_000 {
                last_cleanup = now_micros();
                self.delete_old_rows().await;
            }
            let wait = if failures > 0 {
                super::backoff(failures)
            } else {
                IDLE_POLL
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.outbox.committed().notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        // Calls that committed while the servers drained still leave, if the bus lets them.
        if leader.is_some() || self.db.backend() == Backend::Sqlite {
            let _ = tokio::time::timeout(FINAL_PASS, self.relay_batch(&mut marking)).await;
        }
        if let Err(err) = marking.finish().await {
            tracing::warn!(%service, error = %err, "marking published events failed; they will be sent again");
        }
        if let Some(conn) = leader {
            let _ = conn.close().await;
        }
    }

    /// Reads and publishes one batch and starts marking it; returns how many rows were
    /// published.
    async fn relay_batch(&self, marking: &mut Marking) -> anyhow::Result<usize> {
        let mut sql = String::from(
            "SELECT seq, event_id, subject, event_type, aggregate_id, payload, traceparent, created_at, \
             caller, on_behalf_of FROM outbox WHERE published_at IS NULL",
        );
        if !marking.seqs().is_empty() {
            sql.push_str(&format!(
                " AND seq NOT IN ({})",
                placeholders(2, marking.seqs().len())
            ));
        }
        sql.push_str(" ORDER BY seq LIMIT $1");
        let mut read = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(BATCH);
        for seq in marking.seqs() {
            read = read.bind(*seq);
        }
        let rows = read.fetch_all(self.db.pool()).await?;
        metrics::gauge!("xingfu_outbox_pending", "service" => self.outbox.service().as_str())
            .set(rows.len() as f64);
        if rows.is_empty() {
            marking.finish().await?;
            return Ok(0);
        }
        let mut seqs = Vec::with_capacity(rows.len());
        let mut batch = Vec::with_capacity(rows.len());
        for row in rows {
            seqs.push(row.try_get::<i64, _>("seq")?);
            let subject: String = row.try_get("subject")?;
            batch.push(Envelope {
                id: row.try_get("event_id")?,
                subject: self.bus.subject(&subject),
                event_type: row.try_get("event_type")?,
                source: self.outbox.service().as_str().to_owned(),
                aggregate_id: row.try_get("aggregate_id")?,
                time_micros: row.try_get("created_at")?,
                traceparent: row.try_get("traceparent")?,
                acting: Acting {
                    caller: row
                        .try_get::<Option<String>, _>("caller")?
                        .unwrap_or_default(),
                    on_behalf_of: row.try_get("on_behalf_of")?,
                },
                payload: row.try_get::<Vec<u8>, _>("payload")?.into(),
            });
        }
        let spans: Vec<_> = batch.iter().map(publish_span).collect();
        for (envelope, span) in batch.iter_mut().zip(&spans) {
            envelope.traceparent = telemetry::traceparent_of(span).or(envelope.traceparent.take());
        }
        let published = self.bus.publish(&batch).await;
        drop(spans);
        // One marking at a time: the one before ends before this one starts.
        marking.finish().await?;
        if published > 0 {
            // Exactly the rows published: a lower seq may belong to a transaction that had
            // not committed when this batch was read, and must still be sent.
            seqs.truncate(published);
            let task = tokio::spawn(mark_published(
                self.db.clone(),
                self.outbox.service().as_str(),
                seqs.clone(),
            ));
            marking.0 = Some((seqs, task));
        }
        if published < batch.len() {
            anyhow::bail!("the bus acknowledged {published} of {} events", batch.len());
        }
        Ok(published)
    }

    /// True while this process holds the relay lock of its service (PostgreSQL). The lock
    /// lives on a connection detached from the pool: it costs the pool no capacity and is
    /// never handed back still holding the lock.
    async fn hold_leadership(&self, leader: &mut Option<AnyConnection>) -> bool {
        if let Some(conn) = leader.as_mut() {
            if conn.ping().await.is_ok() {
                return true;
            }
            *leader = None;
        }
        let Ok(conn) = self.db.pool().acquire().await else {
            return false;
        };
        let mut conn = conn.detach();
        let key = advisory_key(self.outbox.service().as_str());
        let locked: Result<bool, _> = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await;
        if matches!(locked, Ok(true)) {
            *leader = Some(conn);
            true
        } else {
            let _ = conn.close().await;
            false
        }
    }

    async fn delete_old_rows(&self) {
        let cutoff = now_micros() - RETENTION_MICROS;
        if let Err(err) =
            sqlx::query("DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1")
                .bind(cutoff)
                .execute(self.db.pool())
                .await
        {
            tracing::warn!(error = %err, "cleaning the outbox failed");
        }
    }
}

/// `count` numbered placeholders from `$first`: `$2, $3, $4`.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Marks rows `seqs` of `service`'s outbox as published.
async fn mark_published(
    db: Database,
    service: &'static str,
    seqs: Vec<i64>,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "UPDATE outbox SET published_at = $1 WHERE seq IN ({})",
        placeholders(2, seqs.len())
    );
    let mut update = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now_micros());
    for seq in &seqs {
        update = update.bind(*seq);
    }
    update.execute(db.pool()).await?;
    metrics::counter!("xingfu_outbox_published_total", "service" => service)
        .increment(seqs.len() as u64);
    Ok(())
}

fn publish_span(envelope: &Envelope) -> tracing::Span {
    let span = tracing::info_span!(
        "publish",
        otel.name = format!("{} publish", envelope.short_type()),
        otel.kind = "producer",
        messaging.system = "nats",
        messaging.operation.type = "send",
        messaging.destination.name = %envelope.subject,
        messaging.message.id = %envelope.id,
    );
    telemetry::set_parent_from_traceparent(&span, envelope.traceparent.as_deref());
    span
}

/// A stable 64-bit lock key for a service's relay.
fn advisory_key(service: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("xingfu-outbox-relay/{service}").as_bytes());
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}
