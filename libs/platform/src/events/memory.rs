//! The in-process bus of the embedded default. A publish returns only after every
//! subscribed consumer has committed the event (or given it up after `max_deliver`
//! attempts), so the outbox row stays pending until then and a crash re-sends it: the
//! same at-least-once delivery, de-duplicated by the inbox, as on JetStream.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{Envelope, Subscription, apply, backoff};

type Delivery = (Envelope, oneshot::Sender<()>);

struct Registered {
    subjects: Vec<String>,
    queue: mpsc::Sender<Delivery>,
}

/// Delivers events to consumers in the same process.
#[derive(Clone)]
pub struct MemoryBus {
    consumers: Arc<Mutex<Vec<Registered>>>,
    max_deliver: i64,
}

impl std::fmt::Debug for MemoryBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBus").finish_non_exhaustive()
    }
}

impl MemoryBus {
    /// A bus whose consumers try each event at most `max_deliver` times.
    pub fn new(max_deliver: i64) -> Self {
        Self {
            consumers: Arc::default(),
            max_deliver,
        }
    }

    /// Subjects on this bus carry no deployment prefix beyond `xingfu`.
    pub fn prefix(&self) -> &str {
        "xingfu"
    }

    /// Delivers each event to its consumers in order; returns how many were taken by all.
    pub async fn publish(&self, batch: &[Envelope]) -> usize {
        for (done, envelope) in batch.iter().enumerate() {
            let queues: Vec<_> = {
                let consumers = self.consumers.lock().unwrap_or_else(|e| e.into_inner());
                consumers
                    .iter()
                    .filter(|c| c.subjects.contains(&envelope.subject))
                    .map(|c| c.queue.clone())
                    .collect()
            };
            for queue in queues {
                let (ack, acked) = oneshot::channel();
                if queue.send((envelope.clone(), ack)).await.is_err() || acked.await.is_err() {
                    return done;
                }
            }
        }
        batch.len()
    }

    /// Registers `subscription` now and consumes in a task until `shutdown`.
    pub fn spawn_consumer(
        &self,
        subscription: Subscription,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let (queue, mut deliveries) = mpsc::channel::<Delivery>(64);
        let subjects = subscription
            .subjects
            .iter()
            .map(|s| format!("{}.{s}", self.prefix()))
            .collect();
        self.consumers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Registered { subjects, queue });
        let max_deliver = self.max_deliver;
        tokio::spawn(async move {
            loop {
                let (envelope, ack) = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    next = deliveries.recv() => match next { Some(d) => d, None => return },
                };
                let mut delivered = 0;
                loop {
                    delivered += 1;
                    match apply(&subscription, &envelope).await {
                        Ok(_) => break,
                        Err(err) if delivered >= max_deliver => {
                            // The in-process bus has no dead-letter stream: the log and the
                            // metric are where a given-up event shows.
                            tracing::error!(consumer = %subscription.consumer, event_id = %envelope.id,
                                error = %err, "giving up on event after {delivered} deliveries");
                            metrics::counter!("xingfu_events_dead_lettered_total", "consumer" => subscription.consumer.clone())
                                .increment(1);
                            break;
                        }
                        Err(err) => {
                            tracing::warn!(consumer = %subscription.consumer, event_id = %envelope.id,
                                error = %err, delivered, "event failed; retrying");
                            tokio::select! {
                                // Unacknowledged: the outbox row stays pending and is re-sent.
                                _ = shutdown.cancelled() => return,
                                _ = tokio::time::sleep(backoff(delivered)) => {}
                            }
                        }
                    }
                }
                let _ = ack.send(());
            }
        })
    }
}
